#!/usr/bin/env python3
"""Run the whole pantau test suite: cmocka unit tests, then end-to-end tests.

Every cmocka test case and every Python test method counts as one test.
The last line printed is always "N passed, N failed". Skipped tests (for
example network-lab tests without root) are listed above it, never counted
as passed. Exit status 0 only when nothing failed.

    python3 tests/run.py --build build [-k SUBSTRING] [--only unit|e2e] [--jobs N]

With --jobs N (make test gives 2) the end-to-end files run N at a time,
each in its own process, its output printed whole when it ends. A file
that sets RUN_ALONE = True (it measures against a reference tool, loads
both cores, or builds network namespaces with lab addresses) runs with
nothing beside it, before the others. Files are started longest first by
the seconds of the last run (tests/out/durations.json), else by the
seconds committed in tests/e2e/durations.json (so a fresh clone, as in CI,
starts in the same order), else by size; the
unit binaries also run N at a time.
"""
import argparse
import concurrent.futures
import glob
import importlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TAP_LINE = re.compile(r"^(not ok|ok)\s+\d+\s*-?\s*([^#]*?)\s*(#\s*(SKIP|skip).*)?$")
UNIT_TIMEOUT_S = 300
E2E_DIR = os.path.join(ROOT, "tests", "e2e")
DURATIONS = os.path.join(ROOT, "tests", "out", "durations.json")
# a measured run's seconds, committed; refresh it with
#   cp tests/out/durations.json tests/e2e/durations.json  after a full run
COMMITTED_DURATIONS = os.path.join(E2E_DIR, "durations.json")


def read_durations(path):
    """The seconds per e2e file that path holds; {} when it is absent or bad."""
    try:
        with open(path) as f:
            d = json.load(f)
    except (OSError, ValueError):
        return {}
    return d if isinstance(d, dict) else {}


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


def run_binary(binary):
    """(name, stdout, stderr, exit status) of one cmocka binary."""
    env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT="TAP")
    try:
        proc = subprocess.run([binary], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=UNIT_TIMEOUT_S)
        return os.path.basename(binary), proc.stdout, proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        return os.path.basename(binary), out, f"timed out after {UNIT_TIMEOUT_S} s", -1


def run_unit(build, tally, pattern, jobs=1):
    """The binaries jobs at once, recorded in the order of their names."""
    binaries = sorted(glob.glob(os.path.join(build, "tests", "test_*")))
    if not binaries:
        tally.record("unit: no test binaries in " + build, "fail",
                     "run 'make unit' first")
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        runs = list(pool.map(run_binary, binaries))
    for base, out, err, rc in runs:
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


def run_e2e(tally, pattern, files="test_*.py"):
    sys.path.insert(0, E2E_DIR)
    loader = unittest.TestLoader()
    suite = loader.discover(E2E_DIR, pattern=files, top_level_dir=E2E_DIR)
    result = TallyResult(tally)
    unittest.TestSuite(list(filtered(suite, pattern))).run(result)


def e2e_files(pattern):
    """The end-to-end files with a test that pattern selects: (name, alone)."""
    sys.path.insert(0, E2E_DIR)
    out = []
    for path in sorted(glob.glob(os.path.join(E2E_DIR, "test_*.py"))):
        name = os.path.basename(path)
        module = importlib.import_module(name[:-3])
        tests = list(filtered(unittest.TestLoader().loadTestsFromModule(module), pattern))
        if tests:
            out.append((name, bool(getattr(module, "RUN_ALONE", False))))
    return out


class Lane:
    """One file's tests in a child run.py; its output and tally in files."""

    def __init__(self, args, name, tmp):
        self.name, self.started = name, time.monotonic()
        self.out_path = os.path.join(tmp, name + ".out")
        self.tally_path = os.path.join(tmp, name + ".json")
        self.out = open(self.out_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--build", args.build, "--only", "e2e",
             "-k", args.pattern, "--file", name, "--tally-out", self.tally_path],
            cwd=ROOT, stdout=self.out, stderr=subprocess.STDOUT)

    def finish(self, tally):
        """Prints the file's output and adds its tally; its seconds."""
        self.out.close()
        with open(self.out_path) as f:
            text = f.read()
        body = text.split("\n\x1e\n")[0]
        sys.stdout.write(body if body.endswith("\n") else body + "\n")
        try:
            with open(self.tally_path) as f:
                t = json.load(f)
        except (OSError, ValueError):
            t = {"passed": 0, "failed": [], "skipped": []}
        if self.proc.returncode != 0 and not t["failed"]:
            t["failed"] = [f"e2e/{self.name}: exit status {self.proc.returncode}"]
            print(f"FAIL {t['failed'][0]}\n    " + tail(text).replace("\n", "\n    "))
        tally.passed += t["passed"]
        tally.failed += t["failed"]
        tally.skipped += t["skipped"]
        sys.stdout.flush()
        return time.monotonic() - self.started


def run_e2e_lanes(args, tally):
    """--jobs: the RUN_ALONE files one at a time, then the others N at once."""
    last = dict(read_durations(COMMITTED_DURATIONS), **read_durations(DURATIONS))
    files = e2e_files(args.pattern)
    alone = [n for n, a in files if a]
    # longest first: the last run's seconds, else the file's size
    shared = sorted((n for n, a in files if not a),
                    key=lambda n: -last.get(n, os.path.getsize(os.path.join(E2E_DIR, n)) / 1e6))
    took = {}
    with tempfile.TemporaryDirectory(prefix="pantau-run-") as tmp:
        for name in alone:
            lane = Lane(args, name, tmp)
            lane.proc.wait()
            took[name] = lane.finish(tally)
        running = []
        while shared or running:
            while shared and len(running) < args.jobs:
                running.append(Lane(args, shared.pop(0), tmp))
            pid, status = os.wait()   # the lanes are this process's only children now
            for lane in [lane for lane in running if lane.proc.pid == pid]:
                lane.proc.returncode = os.waitstatus_to_exitcode(status)
                running.remove(lane)
                took[lane.name] = lane.finish(tally)
    os.makedirs(os.path.dirname(DURATIONS), exist_ok=True)
    with open(DURATIONS, "w") as f:
        json.dump(dict(last, **{k: round(v, 1) for k, v in took.items()}), f, indent=0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("-k", dest="pattern", default="")
    ap.add_argument("--only", choices=["unit", "e2e"])
    ap.add_argument("--jobs", type=int, default=1,
                    help="end-to-end files run at once (RUN_ALONE ones alone)")
    ap.add_argument("--file", help=argparse.SUPPRESS)        # a lane's one file
    ap.add_argument("--tally-out", help=argparse.SUPPRESS)   # where a lane's tally goes
    args = ap.parse_args()
    build = os.path.abspath(os.path.join(ROOT, args.build))
    os.environ["PANTAU_BUILD"] = build
    os.environ["PANTAU_ROOT"] = ROOT
    started = time.monotonic()
    tally = Tally()
    if args.only in (None, "unit"):
        run_unit(build, tally, args.pattern, args.jobs)
    if args.file:
        run_e2e(tally, args.pattern, args.file)
        with open(args.tally_out, "w") as f:
            json.dump({"passed": tally.passed, "failed": tally.failed,
                       "skipped": tally.skipped}, f)
        print("\n\x1e")   # the end of what the parent prints
    elif args.only in (None, "e2e"):
        if args.jobs > 1:
            run_e2e_lanes(args, tally)
        else:
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
