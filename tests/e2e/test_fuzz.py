"""The libFuzzer harnesses of tests/fuzz/ (docs/testing.md, "Fuzzing").

One test per harness: every input of its seed corpus (tests/fuzz/corpus/NAME/,
which holds the regression input of every crash found and fixed) runs once,
then the harness fuzzes for FUZZ_TEST_SECONDS (2) from there. Any
AddressSanitizer, LeakSanitizer or UBSan report, failed check, timeout or
crash fails the test with the report. The canary test proves that such
reports are seen: its harness has planted bugs. `make test` builds the
harnesses (`make fuzz-build`, clang); the long runs are `make fuzz`.
"""
import os
import shutil
import sys
import tempfile
import unittest

from harness import BUILD, ROOT

sys.path.insert(0, os.path.join(ROOT, "tests", "fuzz"))
import fuzzrun  # noqa: E402

FUZZ_BUILD = os.path.join(ROOT, "build", "fuzz")
SECONDS = int(os.environ.get("FUZZ_TEST_SECONDS", "2"))
os.environ.setdefault("PANTAU_CATALOG_DIR", os.path.join(BUILD, "share", "pantau"))


class FuzzTest(unittest.TestCase):
    def check(self, name):
        ok, out = fuzzrun.replay(FUZZ_BUILD, name)
        self.assertTrue(ok, f"replaying tests/fuzz/corpus/{name}/ failed:\n" + fuzzrun.tail(out))
        work = tempfile.mkdtemp(prefix=f"pantau-fuzz-{name}-")
        try:
            ok, st, out = fuzzrun.fuzz(FUZZ_BUILD, name, SECONDS, 1, work)
            self.assertTrue(ok, f"fuzzing {name} for {SECONDS} s found a bug (input in "
                            f"build/fuzz/artifacts/):\n" + fuzzrun.tail(out))
            self.assertGreater(st.get("runs", 0), 0, "no execution counted:\n" + fuzzrun.tail(out))
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def test_canary_reports_are_seen(self):
        work = tempfile.mkdtemp(prefix="pantau-fuzz-canary-")
        try:
            for bug in ("crash", "leak", "overflow", "abort", "fine"):
                path = os.path.join(work, bug)
                with open(path, "w") as f:
                    f.write(bug)
                ok, out = fuzzrun.replay(FUZZ_BUILD, "canary", [path])
                with self.subTest(bug=bug):
                    if bug == "fine":
                        self.assertTrue(ok, fuzzrun.tail(out))
                    else:
                        self.assertFalse(ok, f"the planted {bug} went unnoticed:\n" +
                                         fuzzrun.tail(out))
        finally:
            shutil.rmtree(work, ignore_errors=True)


def _add(name):
    setattr(FuzzTest, "test_" + name, lambda self: self.check(name))


for _name in fuzzrun.harnesses():
    _add(_name)
