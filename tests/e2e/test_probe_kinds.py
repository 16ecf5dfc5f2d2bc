"""Probe kinds, once (docs/architecture.md, "Adding a probe kind"): the
table of kinds, docs/probes.md's "Kinds" table and what each program links
agree; echo, the test-only kind built into build/tests/pantau-agent-testkinds
with the steps of that section and nothing more, is read, checked, run and
published like any other kind."""
import json
import os
import re
import subprocess

from harness import CATALOG_DIR, E2ETestCase, ROOT, binary, free_port, wait_for
from test_loadgen import Sub

TESTKINDS = "tests/pantau-agent-testkinds"


def run(argv, timeout=30):
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


def kinds_of(program):
    """The kinds in a program's table, from its --config-reference."""
    out = run([binary(program), "--config-reference"])
    m = re.search(r"^\| `type` \| one of ([^|]+) \|", out.stdout, re.M)
    if m is None:
        raise AssertionError("no `type` row in the reference of " + program)
    return [k.strip() for k in m.group(1).split(",")]


def docs_rows():
    """(kind, measured in, spec file, exec file, tests only) of docs/probes.md, "Kinds"."""
    with open(os.path.join(ROOT, "docs", "probes.md")) as f:
        text = f.read()
    section = text[text.index("\n## Kinds\n"):]
    section = section[:section.index("\n## ", 1)]
    rows = []
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows.append((cells[0].strip("`"), cells[2], cells[3].strip("`"), cells[4].strip("`"),
                     "tests only" in cells[1]))
    return rows


def defined(program):
    """Names of the functions and data a program defines."""
    out = run(["nm", "--defined-only", binary(program)])
    return {line.split()[-1] for line in out.stdout.splitlines() if len(line.split()) == 3}


class KindsTableTest(E2ETestCase):

    def test_docs_table_is_the_table_of_kinds(self):
        rows = docs_rows()
        self.assertEqual([r[0] for r in rows if not r[4]], kinds_of("pantau-agent"),
                         "docs/probes.md, Kinds, and agent/probes/kinds.c differ")
        self.assertEqual([r[0] for r in rows], kinds_of(TESTKINDS))
        for kind, where, spec, exec_part, _ in rows:
            for name in (spec, exec_part):
                self.assertTrue(os.path.exists(os.path.join(ROOT, "agent", "probes", name)),
                                f"{kind}: agent/probes/{name} is missing")
            self.assertIn(where, ("pantau-agent", "pantau-probe-worker"), kind)

    def test_each_program_links_only_the_parts_it_runs(self):
        rows = docs_rows()
        agent, worker = defined("pantau-agent"), defined("pantau-probe-worker")
        for kind, where, _, _, tests_only in rows:
            spec, exec_part = f"probe_{kind}_spec", f"probe_{kind}_exec"
            in_worker = where == "pantau-probe-worker"
            self.assertEqual(spec in agent, not tests_only, spec)
            self.assertEqual(exec_part in agent, not in_worker and not tests_only, exec_part)
            self.assertEqual(spec in worker, in_worker, spec)
            self.assertEqual(exec_part in worker, in_worker, exec_part)
        # The worker has no agent code: no table of the agent's, no config,
        # cycle, outbox, ICMP sockets or spawner.
        for name in ("probe_kinds", "agent_config_load", "cycle_new", "outbox_open",
                     "icmpsock_open", "probeworker_exec", "probe_kind_find"):
            self.assertNotIn(name, worker)
        self.assertIn("worker_kinds", worker)


class EchoKindTest(E2ETestCase):
    """The test-only kind through the same paths as a real one."""

    def config(self, broker_port, **keys):
        probe = {"type": "echo", "target": "here", "delay_ms": 20}
        probe.update(keys)
        return self.agent_config("agent", broker_port, "ag-3273-0777", "32.73",
                                 {"e": probe}, agent__interval=2)

    def test_bad_key_is_a_clear_error_and_the_release_has_no_echo(self):
        cfg = self.config(free_port(), delay_ms=-5)
        out = run([binary(TESTKINDS), "--check", "--config", cfg])
        self.assertEqual(out.returncode, 2, out.stdout + out.stderr)
        self.assertRegex(out.stderr, r"agent\.ini:\d+: \[probe\.e\] delay_ms: .*0 to 60000")
        cfg = self.config(free_port(), target="not here")
        out = run([binary(TESTKINDS), "--check", "--config", cfg])
        self.assertRegex(out.stderr, r"\[probe\.e\] target: ")
        out = run([binary("pantau-agent"), "--check", "--config", self.config(free_port())])
        self.assertEqual(out.returncode, 2)
        self.assertIn('type: "echo" is not a probe kind; use icmp, tcp, http, stamp, '
                      "throughput, upload_task, dns, path or passive", out.stderr)

    def test_check_runs_it(self):
        broker = self.start_broker()
        out = run([binary(TESTKINDS), "check", "--json", "--config", self.config(broker.port),
                   "--catalog", CATALOG_DIR])
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("[ OK ] probe e (echo here): ok", out.stdout.splitlines())
        results = [json.loads(l) for l in out.stdout.splitlines() if l.startswith("{")]
        self.assertEqual(results, [{"probe": "echo", "target": "here", "ok": True,
                                    "delay_ms": 20}])

    def test_agent_publishes_its_results(self):
        broker = self.start_broker()
        sub = Sub(self, broker, "pantau/v1/32/3273/ag-3273-0777/result").wait_ready()
        cfg = self.config(broker.port, fail="told to fail")
        self.start("agent", [binary(TESTKINDS), "--config", cfg])

        def batch():
            for _, _, payload in sub.messages():
                return json.loads(payload)
        b = wait_for(batch, 20, "a result batch from the agent")
        self.assertEqual(b["results"], [{"probe": "echo", "target": "here", "ok": False,
                                         "error": "told to fail"}])
