"""Rules of the source tree that a compiler does not check (STYLE.md)."""
import os
import re
import unittest

from harness import ROOT
from test_docs import tracked_files

BANNED = re.compile(r"\b(strcpy|strcat|sprintf|vsprintf|strtok|atoi|gets)\s*\(")
COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
STRING = re.compile(r'"(?:\\.|[^"\\\n])*"')
MAX_LINES = 600


def c_files():
    return [n for n in tracked_files() if n.endswith((".c", ".h"))]


class SourceTest(unittest.TestCase):
    def test_no_banned_functions(self):
        found = []
        for name in c_files():
            with open(os.path.join(ROOT, name), errors="replace") as f:
                text = STRING.sub('""', COMMENT.sub("", f.read()))
            for i, line in enumerate(text.split("\n"), 1):
                m = BANNED.search(line)
                if m:
                    found.append("%s:%d: %s" % (name, i, m.group(1)))
        self.assertEqual(found, [], "use snprintf / strnum_* instead (STYLE.md, Adopt 10)")

    def test_collector_files_stay_under_600_lines(self):
        long = []
        for name in c_files():
            if not name.startswith("collector/"):
                continue
            with open(os.path.join(ROOT, name), errors="replace") as f:
                n = sum(1 for _ in f)
            if n > MAX_LINES:
                long.append("%s: %d lines" % (name, n))
        self.assertEqual(long, [], "split these by responsibility (docs/architecture.md)")


# Files outside the result kinds' table, agent/probes/, agent/worker/ and tests
# that may still name a probe kind, and why.
KIND_NAMES_ALLOWED = {
    "reflector/reflector_config.c": "its [stamp] and [http] sections are the reflector's "
                                    "servers, not result kinds",
    "deploy/demo/demo.py": "writes the demo agents' configuration, as a technician would",
    "reflector/http_server.c": "its [http] section is the reflector's server, not the "
                               "result kind",
    "agent/check.c": "`pantau-agent check` says each kind's result its own way: moves into "
                     "agent/probes/ with the probe kinds' spec parts (issue 12, item 2)",
    "agent/check_report.c": "the part of agent/check.c that prints a probe result's line, "
                            "split off it; the same reason as agent/check.c",
}
KIND_HOMES = ("common/resultkind.c", "agent/probes/", "agent/worker/", "tests/")
HASH_COMMENT = re.compile(r"(?m)^\s*#[^\n]*")
# The dashboard's SVG element maker (dashboards/web/dom.js: s(tag, attrs)):
# its tag is an element name, and SVG has a <path> element like the kind.
SVG_ELEMENT = re.compile(r"""\bs\(\s*(["'])[a-z]+\1""")


def kind_names():
    import json
    import subprocess
    from harness import BUILD
    out = subprocess.run([os.path.join(BUILD, "pantau"), "kinds", "--json"],
                         capture_output=True, text=True, check=True)
    return [k["name"] for k in json.loads(out.stdout)["kinds"]]


class KindNamesTest(unittest.TestCase):
    """Outside the table (common/resultkind.c), agent/probes/, agent/worker/ and
    the tests, no code names a probe kind (docs/architecture.md, "Result
    kinds"): it reads the table instead."""

    def test_no_kind_named_outside_its_homes(self):
        names = "|".join(re.escape(n) for n in kind_names())
        literal = re.compile(r"""(["'`])(%s)\1""" % names)
        js_key = re.compile(r"(?:^|[{,])\s*(%s)\s*:" % names)
        found = []
        for name in tracked_files():
            if not name.endswith((".c", ".h", ".js", ".mjs", ".py", ".sh")):
                continue
            if name.startswith(KIND_HOMES) or name in KIND_NAMES_ALLOWED:
                continue
            with open(os.path.join(ROOT, name), errors="replace") as f:
                text = f.read()
            text = COMMENT.sub("", text)
            if name.endswith((".py", ".sh")):
                text = HASH_COMMENT.sub("", text)
            if name.endswith((".js", ".mjs")):
                text = SVG_ELEMENT.sub("s(TAG", text)
            for i, line in enumerate(text.split("\n"), 1):
                m = literal.search(line) or (name.endswith((".js", ".mjs")) and
                                             js_key.search(line))
                if m:
                    found.append("%s:%d: %s" % (name, i, line.strip()))
        self.assertEqual(found, [], "read the result kinds' table (common/resultkind.h) "
                                    "instead of naming a kind")

    def test_allowed_files_exist(self):
        gone = [n for n in KIND_NAMES_ALLOWED if not os.path.exists(os.path.join(ROOT, n))]
        self.assertEqual(gone, [], "drop them from KIND_NAMES_ALLOWED")
