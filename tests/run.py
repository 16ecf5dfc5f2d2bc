#!/usr/bin/env python3
"""Run the whole pantau test suite: cmocka unit tests, then end-to-end tests.

Every cmocka test case and every Python test method counts as one test.
The last line printed is always "N passed, N failed". Skipped tests (for
example network-lab tests without root) are listed above it, never counted
as passed. Exit status 0 only when nothing failed.

    python3 tests/run.py --build build [-k SUBSTRING] [--only unit|e2e]
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TAP_LINE = re.compile(r"^(not ok|ok)\s+\d+\s*-?\s*([^#]*?)\s*(#\s*(SKIP|skip).*)?$")
UNIT_TIMEOUT_S = 300


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = []
        self.skipped = []

    def record(self, name, outcome, detail=""):
        if outcome == "pass":
            self.passed += 1
            print(f"PASS {name}")
        elif outcome == "skip":
            self.skipped.append(f"{name}: {detail}")
            print(f"SKIP {name}: {detail}")
        else:
            self.failed.append(name)
            print(f"FAIL {name}")
            if detail:
                print("    " + detail.rstrip().replace("\n", "\n    "))
        sys.stdout.flush()


def run_unit(build, tally, pattern):
    binaries = sorted(glob.glob(os.path.join(build, "tests", "test_*")))
    if not binaries:
        tally.record("unit: no test binaries in " + build, "fail",
                     "run 'make unit' first")
    for binary in binaries:
        base = os.path.basename(binary)
        env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT="TAP")
        try:
            proc = subprocess.run([binary], cwd=ROOT, env=env, capture_output=True,
                                  text=True, timeout=UNIT_TIMEOUT_S)
            out, err, rc = proc.stdout, proc.stderr, proc.returncode
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            err, rc = f"timed out after {UNIT_TIMEOUT_S} s", -1
        seen = 0
        failed_here = False
        for line in out.splitlines():
            m = TAP_LINE.match(line.strip())
            if not m:
                continue
            name = f"unit/{base}/{m.group(2).strip()}"
            if pattern and pattern not in name:
                continue
            seen += 1
            if m.group(1) == "not ok":
                failed_here = True
                tally.record(name, "fail", tail(out + "\n" + err))
            elif m.group(3):
                tally.record(name, "skip", m.group(3).lstrip("# "))
            else:
                tally.record(name, "pass")
        if rc != 0 and not failed_here and (seen or not pattern):
            tally.record(f"unit/{base}", "fail",
                         f"exit status {rc}\n" + tail(out + "\n" + err))


def tail(text, lines=40):
    return "\n".join(text.strip().splitlines()[-lines:])


class TallyResult(unittest.TestResult):
    def __init__(self, tally):
        super().__init__()
        self.tally = tally
        self.started = {}

    def startTest(self, test):
        super().startTest(test)
        self.started[test.id()] = time.monotonic()
        print(f"---- {short(test)}")
        sys.stdout.flush()

    def _took(self, test):
        return time.monotonic() - self.started.get(test.id(), time.monotonic())

    def addSuccess(self, test):
        self.tally.record(f"{short(test)} ({self._took(test):.1f} s)", "pass")

    def addFailure(self, test, err):
        self.tally.record(short(test), "fail", self._exc_info_to_string(err, test))

    def addError(self, test, err):
        self.tally.record(short(test), "fail", self._exc_info_to_string(err, test))

    def addSubTest(self, test, subtest, err):
        # a failed subTest fails its test (which then never reaches addSuccess)
        if err is not None:
            self.tally.record(short(subtest), "fail", self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):
        self.tally.record(short(test), "skip", reason)

    def addExpectedFailure(self, test, err):
        self.tally.record(short(test), "fail", "expected failures are not allowed")

    def addUnexpectedSuccess(self, test):
        self.tally.record(short(test), "fail", "unexpected success")


def short(test):
    return "e2e/" + test.id().replace("test_", "", 1)


def filtered(suite, pattern):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from filtered(t, pattern)
        elif not pattern or pattern in short(t):
            yield t


def run_e2e(tally, pattern):
    sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
    loader = unittest.TestLoader()
    suite = loader.discover(os.path.join(ROOT, "tests", "e2e"), pattern="test_*.py",
                            top_level_dir=os.path.join(ROOT, "tests", "e2e"))
    result = TallyResult(tally)
    unittest.TestSuite(list(filtered(suite, pattern))).run(result)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("-k", dest="pattern", default="")
    ap.add_argument("--only", choices=["unit", "e2e"])
    args = ap.parse_args()
    build = os.path.abspath(os.path.join(ROOT, args.build))
    os.environ["PANTAU_BUILD"] = build
    os.environ["PANTAU_ROOT"] = ROOT
    started = time.monotonic()
    tally = Tally()
    if args.only in (None, "unit"):
        run_unit(build, tally, args.pattern)
    if args.only in (None, "e2e"):
        run_e2e(tally, args.pattern)
    print()
    if tally.skipped:
        print(f"{len(tally.skipped)} skipped:")
        for s in tally.skipped:
            print(f"  {s}")
    if tally.failed:
        print("failed:")
        for f in tally.failed:
            print(f"  {f}")
    print(f"suite took {time.monotonic() - started:.0f} s")
    print(f"{tally.passed} passed, {len(tally.failed)} failed")
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
