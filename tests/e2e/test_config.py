"""Bad configuration and the technician's 'pantau-agent check', as a user sees them."""
import ctypes
import os
import struct
import subprocess

from harness import (CATALOG_DIR, E2ETestCase, binary, free_port, http_json, wait_for,
                     write_ini)

IS_ROOT = os.geteuid() == 0


def kernel_clock_synced():
    """The kernel's own word (adjtimex(2), read here independently of the
    agent): not TIME_ERROR and STA_UNSYNC clear. Layout of struct timex on
    64-bit Linux: int modes, then longs offset, freq, maxerror, esterror,
    then int status at byte 40."""
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(256)
    state = libc.adjtimex(buf)
    status = struct.unpack_from("i", buf.raw, 40)[0]
    return state >= 0 and state != 5 and not status & 0x40


def run(argv, timeout=60, env=None):
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, **(env or {})))


class ConfigErrorTest(E2ETestCase):
    def write(self, name, text):
        path = os.path.join(self.workdir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def refused(self, program, name, text, *args):
        """program run with args on the configuration text (written as name)
        exits 2: the file's path and what it printed on stderr."""
        path = self.write(name, text)
        out = run([binary(program), *args, "--config", path])
        self.assertEqual(out.returncode, 2, out)
        return path, out.stderr

    def test_agent_bad_config_exits_2_naming_file_line_key(self):
        for args in ((), ("check",), ("--check",)):
            path, err = self.refused("pantau-agent", "agent.ini",
                                     "[agent]\nid = ag-1\nregion = 32.73\nsite = S\n"
                                     "link = fiber\ninterval = 0\n\n[probe.gw]\ntype = icmp\n"
                                     "target = 127.0.0.1\ncount = many\n", *args)
            self.assertIn(f"{path}:6: [agent] interval: expected a whole number from 1 to 3600,"
                          f" got \"0\"", err)
            self.assertIn(f"{path}:11: [probe.gw] count: expected a whole number", err)
            self.assertIn("2 errors", err)

    def test_agent_missing_and_unknown_keys(self):
        path, err = self.refused("pantau-agent", "agent.ini",
                                 "[agent]\nid = ag 1\nregion = 3273\nlinks = fiber\n"
                                 "[probe.gw]\ntype = ping\ntarget = x\n[brokr]\nhost = x\n")
        for want in (f"{path}:2: [agent] id: \"ag 1\" is not a valid id",
                     f"{path}:3: [agent] region: \"3273\" is not a regency code",
                     f"{path}:1: [agent] site: required key is missing",
                     f"{path}:4: [agent] links: unknown key",
                     f"{path}:6: [probe.gw] type: \"ping\" is not a probe kind",
                     f"{path}:8: [brokr]: unknown section"):
            self.assertIn(want, err)

    def test_agent_probe_longer_than_interval(self):
        _, err = self.refused("pantau-agent", "agent.ini",
                              "[agent]\nid = ag-1\nregion = 32.73\nsite = S\n"
                              "link = fiber\ninterval = 5\n[probe.gw]\ntype = icmp\n"
                              "target = 127.0.0.1\ncount = 100\nspacing_ms = 100\n", "--check")
        self.assertIn("[probe.gw]: takes up to", err)
        self.assertIn("longer than the 5 s interval", err)

    def test_collector_bad_config_exits_2(self):
        path, err = self.refused("pantau-collector", "collector.ini",
                                 "[collector]\ncatalog_dir = /x\n[api]\n"
                                 "port = 0\nlisten = 127.0.0.1\n")
        self.assertIn(f"{path}:4: [api] port: expected a whole number from 1 to 65535, "
                      f"got \"0\"", err)

    def test_collector_unknown_key_in_every_section(self):
        """A misspelled key in each section the collector reads is named as
        a key (once [enrol] and [incidents] were said to be unknown sections)."""
        sections = ["collector", "broker", "api", "store", "status", "counting", "alerts",
                    "incidents", "replay", "cluster", "enrol"]
        path, err = self.refused("pantau-collector", "collector.ini",
                                 "".join(f"[{s}]\nbogus = 1\n" for s in sections), "--check")
        for i, s in enumerate(sections):
            self.assertIn(f"{path}:{2 * i + 2}: [{s}] bogus: unknown key", err)
        self.assertNotIn("unknown section", err)

    def test_collector_retention_errors(self):
        path, err = self.refused("pantau-collector", "collector.ini",
                                 "[store]\nretain_days = 3\n", "--check")
        self.assertIn(f"{path}:2: [store] retain_days: \"3\" use 0 (keep forever) or at "
                      f"least 8 days", err)
        path, err = self.refused("pantau-collector", "c2.ini",
                                 "[store]\nretain_days = 8\n[replay]\nwindow = 864000\n",
                                 "--check")
        self.assertIn(f"{path}:2: [store] retain_days: 8 days of retention must be longer "
                      f"than the 864000 s of [replay] window", err)

    def test_collector_store_url_errors(self):
        for url, says in (("mysql://h/pantau", "not a store URL"),
                          ("postgresql://h1/pantau?nosuchkey=1",
                           'not a PostgreSQL URL (invalid URI query parameter: "nosuchkey")'),
                          ("postgresql://[::1/pantau", "not a PostgreSQL URL")):
            with self.subTest(url=url):
                path, err = self.refused("pantau-collector", "store.ini",
                                         f"[collector]\n[store]\nurl = {url}\n", "--check")
                self.assertIn(f'{path}:3: [store] url: "{url}" {says}', err)
        path = self.write("store.ini", "[store]\nurl = postgresql://db1:5432,db2:5432/pantau"
                          "?target_session_attrs=read-write\n")
        out = run([binary("pantau-collector"), "--check", "--config", path])
        self.assertNotIn("[store] url", out.stderr)

    def test_collector_check(self):
        path = self.write("collector.ini", f"[collector]\ncatalog_dir = {CATALOG_DIR}\n")
        out = run([binary("pantau-collector"), "--check", "--config", path])
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("configuration OK (38 provinces, 514 regencies", out.stdout)
        _, err = self.refused("pantau-collector", "c2.ini",
                              "[collector]\ncatalog_dir = /nonexistent\n", "--check")
        self.assertIn("/nonexistent/provinces.csv", err)

    def test_missing_config_file(self):
        out = run([binary("pantau-agent"), "--config", "/nonexistent/agent.ini"])
        self.assertEqual(out.returncode, 2)
        self.assertIn("/nonexistent/agent.ini: cannot read the configuration", out.stderr)
        out = run([binary("pantau-agent"), "bogus", "--config", "x"])
        self.assertEqual(out.returncode, 2)
        self.assertIn("unexpected argument", out.stderr)


class AgentCheckTest(E2ETestCase):
    """What a technician sees from 'pantau-agent check'."""

    def config(self, broker_port, **over):
        probes = {"loopback": {"type": "icmp", "target": "127.0.0.1", "count": 3,
                               "spacing_ms": 20}}
        return self.agent_config("agent", broker_port, "ag-3273-0009", "32.73", probes, **over)

    def test_check_passes_with_broker_up(self):
        broker = self.start_broker()
        cfg = self.config(broker.port)
        out = run([binary("pantau-agent"), "check", "--config", cfg, "--catalog",
                   CATALOG_DIR])
        lines = out.stdout.splitlines()
        self.assertIn("[ OK ] region 32.73 is Kota Bandung, Jawa Barat", lines)
        self.assertIn(f"[ OK ] broker 127.0.0.1:{broker.port} accepted user ag-3273-0009",
                      lines)
        self.assertIn("[ OK ] test message delivered to the broker", lines)
        if not IS_ROOT:
            self.skipTest("ICMP needs root or a ping group here")
        self.assertTrue(any(l.startswith("[ OK ] probe loopback (ping 127.0.0.1): 3/3")
                            for l in lines), out.stdout)
        self.assertEqual(out.returncode, 0, out.stdout)
        self.assertIn("checks passed; this agent is ready", lines[-1])

    def test_check_fails_with_broker_down_and_says_what_to_do(self):
        port = free_port()  # nothing listens here
        cfg = self.config(port, broker__connect_timeout=3)
        out = run([binary("pantau-agent"), "check", "--config", cfg, "--catalog",
                   CATALOG_DIR])
        self.assertEqual(out.returncode, 1)
        self.assertIn("[FAIL] cannot reach the broker:", out.stdout)
        self.assertIn("Connection refused", out.stdout)
        self.assertIn("-> check the link (modem, cable), [broker] host and port", out.stdout)
        self.assertIn("fix the lines marked FAIL", out.stdout)

    def test_check_in_bahasa_indonesia(self):
        port = free_port()
        cfg = self.config(port, broker__connect_timeout=3)
        out = run([binary("pantau-agent"), "check", "--config", cfg, "--lang", "id",
                   "--catalog", CATALOG_DIR])
        self.assertEqual(out.returncode, 1)
        self.assertIn("[FAIL] broker tidak dapat dihubungi:", out.stdout)
        self.assertIn("wilayah 32.73 adalah Kota Bandung", out.stdout)

    def test_check_reports_the_clock_as_the_kernel_sees_it(self):
        cfg = self.config(free_port(), broker__connect_timeout=2)
        en = run([binary("pantau-agent"), "check", "--config", cfg, "--catalog", CATALOG_DIR])
        idn = run([binary("pantau-agent"), "check", "--config", cfg, "--lang", "id",
                   "--catalog", CATALOG_DIR])
        if kernel_clock_synced():
            self.assertIn("[ OK ] this site's clock is synchronised (estimated error", en.stdout)
            self.assertIn("[ OK ] jam lokasi ini tersinkron", idn.stdout)
        else:
            self.assertIn("[WARN] this site's clock is not synchronised", en.stdout)
            self.assertIn("-> turn on time sync: install chrony or systemd-timesyncd",
                          en.stdout)
            self.assertIn("[WARN] jam lokasi ini tidak tersinkron", idn.stdout)
            self.assertIn("-> nyalakan sinkronisasi waktu", idn.stdout)
            # a warning: only the broker failed
            self.assertIn("1 of ", en.stdout.splitlines()[-1])

    def test_check_unknown_region_and_unresolvable_broker(self):
        cfg = self.config(1883, agent__region="32.99", broker__host="broker.invalid",
                          broker__connect_timeout=3)
        out = run([binary("pantau-agent"), "check", "--config", cfg, "--catalog",
                   CATALOG_DIR])
        self.assertEqual(out.returncode, 1)
        self.assertIn("[FAIL] region 32.99 is not a known regency or city", out.stdout)
        self.assertIn("[FAIL] cannot find the broker", out.stdout)
