#!/usr/bin/env python3
"""Run the libFuzzer harnesses of tests/fuzz/ (docs/testing.md, "Fuzzing").

    python3 tests/fuzz/fuzzrun.py [--seconds N] [--jobs J] [NAME ...]   fuzz (make fuzz)
    python3 tests/fuzz/fuzzrun.py --replay [NAME ...]    run each seed once
    python3 tests/fuzz/fuzzrun.py --merge NAME ...       add to the seed corpus what
                                                         build/fuzz/corpus/NAME found
                                                         that covers more (-merge=1)

Fuzzing runs NAME for N seconds with J processes (libFuzzer's -fork), the
seed corpus tests/fuzz/corpus/NAME/ read only and build/fuzz/corpus/NAME/
as the working corpus, and stops at the first crash, leak, timeout (a
single input taking over TIMEOUT_S) or memory blow-up (over RSS_LIMIT_MB),
whose input is kept in build/fuzz/artifacts/. It prints one line per
harness (executions, libFuzzer's cov and ft figures, CPU seconds) and
adds them to build/fuzz/totals.json. Run from the top of the tree (the API
harness reads the region catalog from build/share/pantau).
"""
import argparse
import glob
import json
import os
import re
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEEDS = os.path.join(ROOT, "tests", "fuzz", "corpus")
DICTS = os.path.join(ROOT, "tests", "fuzz", "dict")
TIMEOUT_S = 10
RSS_LIMIT_MB = 2048

# The dictionary of each harness's format.
DICT_OF = {
    "wire_batch": "json", "wire_status": "json", "wire_cmd": "json", "mode": "json",
    "worker_request": "json", "worker_reply": "json",
    "agent_config": "ini", "collector_config": "ini", "reflector_config": "ini",
    "profiles": "ini", "api": "http", "http_headers": "http",
}
# Inputs longer than libFuzzer's default 4096 bytes that the parser treats
# differently: a batch up to and past 64 KiB, an HTTP request past MHD's
# buffer.
MAX_LEN_OF = {"wire_batch": 66000, "wire_status": 66000, "api": 16384}

STATS = re.compile(r"#(\d+)\S*\s+(?:DONE|pulse|NEW|REDUCE|INITED)?\s*cov: (\d+) ft: (\d+) "
                   r"corp: (\d+)")
REPORT = re.compile(r"ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|"
                    r"SUMMARY: |==\d+==ERROR")


def harnesses():
    return sorted(os.path.basename(p)[len("fuzz_"):-2]
                  for p in glob.glob(os.path.join(ROOT, "tests", "fuzz", "fuzz_*.c")))


def binary(build, name):
    return os.path.join(build, "fuzz_" + name if name != "canary" else "canary")


def env():
    e = dict(os.environ)
    # leaks are errors; a report stops the run (halt_on_error) with a stack
    e.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:symbolize=1")
    e.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    e.setdefault("PANTAU_CATALOG_DIR", os.path.join(ROOT, "build", "share", "pantau"))
    return e


def options(name):
    opts = [f"-timeout={TIMEOUT_S}", f"-rss_limit_mb={RSS_LIMIT_MB}"]
    if name in DICT_OF:
        opts.append("-dict=" + os.path.join(DICTS, DICT_OF[name] + ".dict"))
    if name in MAX_LEN_OF:
        opts.append(f"-max_len={MAX_LEN_OF[name]}")
    return opts


def run(cmd, timeout):
    """Run cmd; (exit status, output, CPU seconds of it and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        p = subprocess.run(cmd, cwd=ROOT, env=env(), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout, errors="replace")
        rc, out = p.returncode, p.stdout
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        rc, out = -1, out + f"\n(fuzzrun: still running after {timeout} s: stopped)"
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return rc, out, cpu


def tail(text, lines=60):
    return "\n".join(text.strip().splitlines()[-lines:])


def seeds(name):
    return sorted(glob.glob(os.path.join(SEEDS, name, "*")))


def replay(build, name, files=None):
    """Run every seed of name once. (ok, output)."""
    files = seeds(name) if files is None else files
    if not os.path.exists(binary(build, name)):
        return False, f"{binary(build, name)} is missing: run 'make fuzz-build'"
    if not files:
        return False, f"no seed corpus in tests/fuzz/corpus/{name}/"
    rc, out, _ = run([binary(build, name)] + options(name) + files, timeout=300)
    ok = rc == 0 and not REPORT.search(out)
    return ok, out


def last_stats(out):
    found = STATS.findall(out)
    if not found:
        return {}
    runs, cov, ft, corp = (int(x) for x in found[-1])
    return {"runs": runs, "cov": cov, "ft": ft, "corpus": corp}


def fuzz(build, name, seconds, jobs, work):
    """Fuzz name for seconds; (ok, stats, output). New inputs go to work."""
    os.makedirs(work, exist_ok=True)
    artifacts = os.path.join(build, "artifacts")
    os.makedirs(artifacts, exist_ok=True)
    cmd = [binary(build, name)] + options(name) + [
        f"-max_total_time={seconds}", f"-artifact_prefix={artifacts}/{name}-",
        "-print_final_stats=1"]
    if jobs > 1:
        cmd += [f"-fork={jobs}", "-ignore_crashes=0", "-ignore_timeouts=0", "-ignore_ooms=0"]
    cmd += [work, os.path.join(SEEDS, name)]
    started = time.monotonic()
    rc, out, cpu = run(cmd, timeout=seconds + 300)
    stats = last_stats(out)
    stats.update({"seconds": round(time.monotonic() - started), "cpu_s": round(cpu),
                  "jobs": jobs})
    ok = rc == 0 and not REPORT.search(out)
    return ok, stats, out


def add_totals(build, name, stats, ok):
    path = os.path.join(build, "totals.json")
    try:
        with open(path, encoding="utf-8") as f:
            totals = json.load(f)
    except (OSError, ValueError):
        totals = {}
    t = totals.setdefault(name, {"runs": 0, "cpu_s": 0, "seconds": 0, "sessions": 0,
                                 "failures": 0})
    t["runs"] += stats.get("runs", 0)
    t["cpu_s"] += stats.get("cpu_s", 0)
    t["seconds"] += stats.get("seconds", 0)
    t["sessions"] += 1
    t["failures"] += 0 if ok else 1
    for k in ("cov", "ft", "corpus"):
        if k in stats:
            t[k] = max(t.get(k, 0), stats[k])
    with open(path, "w", encoding="utf-8") as f:
        json.dump(totals, f, indent=1, sort_keys=True)


def merge(build, name):
    """Add to the seeds what the working corpus has that covers more."""
    work = os.path.join(build, "corpus", name)
    rc, out, _ = run([binary(build, name)] + options(name) +
                     ["-merge=1", os.path.join(SEEDS, name), work], timeout=3600)
    print(tail(out, 5))
    return rc == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join("build", "fuzz"))
    ap.add_argument("--seconds", type=int, default=600)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--replay", action="store_true")
    ap.add_argument("--merge", action="store_true")
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    build = os.path.join(ROOT, args.build)
    names = args.names or harnesses()
    unknown = [n for n in names if n not in harnesses()]
    if unknown:
        print(f"fuzzrun: no harness {', '.join(unknown)}; the harnesses are "
              f"{', '.join(harnesses())}", file=sys.stderr)
        return 2
    for name in names:
        if args.merge:
            if not merge(build, name):
                return 1
            continue
        if args.replay:
            ok, out = replay(build, name)
            print(f"{name}: {'ok' if ok else 'FAILED'} ({len(seeds(name))} inputs)")
            if not ok:
                print(tail(out))
                return 1
            continue
        ok, st, out = fuzz(build, name, args.seconds, args.jobs,
                           os.path.join(build, "corpus", name))
        add_totals(build, name, st, ok)
        print(f"{name}: {'ok' if ok else 'FAILED'}: {st.get('runs', 0):,} executions in "
              f"{st['seconds']} s ({st['cpu_s']} CPU s, {args.jobs} jobs), cov {st.get('cov', '?')} "
              f"ft {st.get('ft', '?')}, corpus {st.get('corpus', '?')}")
        sys.stdout.flush()
        if not ok:
            print(tail(out))
            print(f"fuzzrun: {name} failed; its input is in {build}/artifacts/ "
                  f"(replay: {binary(build, name)} FILE)")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
