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
