"""The Debian packages (make deb, deploy/debian/; docs/deployment.md, "Packaging").

Builds the .debs once for the class (or reuses build/deb/ when it is newer than
every file git tracks), then for each package: installs it with dpkg -i, runs
its programs from the installed paths with the installed configuration, checks
that it depends on no build tool, purges it and compares the files under /etc,
/usr and /var/lib with those before. lintian's report must hold no error.
Needs root (dpkg); skipped otherwise, and when pantau packages are already
installed here (the test would replace them).
"""
import glob
import json
import os
import re
import shutil
import subprocess
import unittest

from harness import ROOT

DEB_DIR = os.path.join(ROOT, "build", "deb")
TREES = ("/etc", "/usr", "/var/lib")
# dpkg's and apt's own bookkeeping changes with every install (status-old,
# triggers); what it keeps for a package is named after it and still counts.
BOOKKEEPING = ("/var/lib/dpkg/", "/var/lib/apt/")
BUILD_TIMEOUT_S = 900
RUN_TIMEOUT_S = 30
# systemd-analyze security's goal for the agent (issue 14).
AGENT_EXPOSURE_MAX = 2.5
BUILD_TOOLS = re.compile(r"\b(nodejs|npm|gcc|cc|clang|make|debhelper|[a-z0-9.+-]+-dev)\b")


def run(argv, timeout=RUN_TIMEOUT_S, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)


def installed(package):
    p = run(["dpkg-query", "-W", "-f=${Status}", package])
    return p.returncode == 0 and "installed" in p.stdout


def files_under(trees):
    seen = set()
    for top in trees:
        for dirpath, dirnames, filenames in os.walk(top):
            for name in dirnames + filenames:
                path = os.path.join(dirpath, name)
                if path.startswith(BOOKKEEPING) and "pantau" not in name:
                    continue
                seen.add(path)
    return seen


def newest_source():
    listed = run(["git", "ls-files", "-z"], cwd=ROOT)
    if listed.returncode != 0:
        return float("inf")
    newest = 0.0
    for rel in listed.stdout.split("\0"):
        path = os.path.join(ROOT, rel)
        if rel and os.path.exists(path):
            newest = max(newest, os.path.getmtime(path))
    return newest


def version():
    with open(os.path.join(ROOT, "VERSION")) as f:
        return f.read().strip()


class DebTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root: installs and purges packages with dpkg")
        here = [p for p in ("pantau-agent", "pantau-collector", "pantau-reflector",
                            "pantau-common") if installed(p)]
        if here:
            raise unittest.SkipTest(f"{', '.join(here)} already installed here; "
                                    "the test would replace and purge it")
        arch = run(["dpkg-architecture", "-qDEB_HOST_ARCH"]).stdout.strip()
        changes = os.path.join(DEB_DIR, f"pantau_{version()}_{arch}.changes")
        if not os.path.exists(changes) or os.path.getmtime(changes) < newest_source():
            # not with the flags of an enclosing make (SANITIZE=1 test)
            env = {k: v for k, v in os.environ.items()
                   if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "SANITIZE")}
            p = run(["make", "--no-print-directory", "deb"], cwd=ROOT, timeout=BUILD_TIMEOUT_S,
                    env=env)
            if p.returncode != 0:
                raise AssertionError("make deb failed:\n" + (p.stdout + p.stderr)[-4000:])
        cls.changes = changes
        cls.debs = {}
        for path in glob.glob(os.path.join(DEB_DIR, f"pantau-*_{version()}_*.deb")):
            name = os.path.basename(path).split("_")[0]
            if not name.endswith("-dbgsym"):
                cls.debs[name] = path
        # Where systemd runs, postinst would start the services: policy-rc.d
        # (which deb-systemd-invoke honours) says no for the test's length.
        cls.policy = None
        if os.path.isdir("/run/systemd/system") and not os.path.exists("/usr/sbin/policy-rc.d"):
            cls.policy = "/usr/sbin/policy-rc.d"
            with open(cls.policy, "w") as f:
                f.write("#!/bin/sh\n# tests/e2e/test_deb.py: no service starts\nexit 101\n")
            os.chmod(cls.policy, 0o755)

    @classmethod
    def tearDownClass(cls):
        if cls.policy is not None:
            os.unlink(cls.policy)

    def setUp(self):
        self.installed_here = []

    def tearDown(self):
        # a failed test purges what it installed too
        left = [p for p in self.installed_here if installed(p)]
        if left:
            run(["dpkg", "--purge"] + left, timeout=120)

    def install(self, *packages):
        """dpkg -i the packages; apt-get -f only when dpkg misses a library."""
        for p in packages:
            self.assertIn(p, self.debs, f"make deb built no {p} in {DEB_DIR}")
        self.installed_here = list(packages)
        p = run(["dpkg", "-i"] + [self.debs[n] for n in packages], timeout=120)
        if p.returncode != 0:
            fix = run(["apt-get", "-f", "install", "-y", "-q", "--no-install-recommends"],
                      timeout=300, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
            self.assertEqual(fix.returncode, 0,
                             "dpkg -i failed and apt-get -f could not help:\n"
                             + p.stdout + p.stderr + fix.stdout + fix.stderr)
        for n in packages:
            self.assertTrue(installed(n), f"{n} is not installed after dpkg -i")

    def purge_and_compare(self, before):
        """dpkg --purge what install() put in; the trees as they were."""
        p = run(["dpkg", "--purge"] + list(reversed(self.installed_here)), timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        after = files_under(TREES)
        self.assertEqual(sorted(after - before), [], "left behind after dpkg --purge")
        self.assertEqual(sorted(before - after), [], "removed by install and purge")

    def assert_runs(self, argv, expect):
        p = run(argv)
        self.assertEqual(p.returncode, 0, f"{' '.join(argv)}:\n{p.stdout}{p.stderr}")
        self.assertIn(expect, p.stdout + p.stderr, " ".join(argv))

    def assert_runtime_depends_only(self, package):
        """npm and the compiler build the package; nothing of them installs it."""
        p = run(["dpkg-deb", "-f", self.debs[package], "Depends"])
        depends = p.stdout.strip()
        for dep in re.split(r"\s*[,|]\s*", depends):
            name = dep.split(" ")[0]
            if name:
                self.assertIsNone(BUILD_TOOLS.fullmatch(name),
                                  f"{package} depends on the build tool {name}: {depends}")

    def exposure(self, unit):
        """systemd-analyze security's overall exposure of an installed unit."""
        path = f"/lib/systemd/system/{unit}"
        self.assertTrue(os.path.exists(path), f"no {path}")
        if shutil.which("systemd-analyze") is None:
            self.skipTest("no systemd-analyze")
        p = run(["systemd-analyze", "security", "--offline=yes", "--no-pager", path])
        m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", p.stdout)
        self.assertIsNotNone(m, p.stdout + p.stderr)
        return float(m.group(1))

    def test_lintian_no_errors(self):
        p = run(["lintian", "--info", self.changes], timeout=300)
        errors = [line for line in p.stdout.splitlines() if line.startswith("E:")]
        self.assertEqual(errors, [], p.stdout)
        self.assertNotIn(p.returncode, (1, 2), p.stdout + p.stderr)

    def test_agent(self):
        self.assert_runtime_depends_only("pantau-agent")
        before = files_under(TREES)
        self.install("pantau-common", "pantau-agent")
        self.assert_runs(["/usr/bin/pantau-agent", "--version"], version())
        # --check also finds the probe worker in /usr/libexec/pantau/ by itself
        self.assert_runs(["/usr/bin/pantau-agent", "--check", "--config", "/etc/pantau/agent.ini"],
                         "configuration OK")
        self.assertTrue(os.access("/usr/libexec/pantau/pantau-probe-worker", os.X_OK))
        self.assertTrue(os.path.exists("/usr/share/pantau/regencies.csv"))
        self.assertLessEqual(self.exposure("pantau-agent.service"), AGENT_EXPOSURE_MAX)
        self.purge_and_compare(before)

    def test_collector(self):
        self.assert_runtime_depends_only("pantau-collector")
        before = files_under(TREES)
        self.install("pantau-common", "pantau-collector")
        # --check loads the catalog and finds the dashboard in /usr/share/pantau/
        self.assert_runs(["/usr/bin/pantau-collector", "--check", "--config",
                          "/etc/pantau/collector.ini"], "configuration OK")
        self.assert_runs(["/usr/bin/pantau", "--help"], "usage: pantau")
        kinds = run(["/usr/bin/pantau", "kinds", "--json"])
        self.assertTrue(json.loads(kinds.stdout)["kinds"], kinds.stdout + kinds.stderr)
        for f in ("web/index.html", "web/indonesia.json", "web/kinds.json",
                  "mosquitto/pantau.conf", "mosquitto/pantau.acl"):
            self.assertTrue(os.path.exists(f"/usr/share/pantau/{f}"), f)
        self.exposure("pantau-collector.service")
        self.purge_and_compare(before)

    def test_reflector(self):
        self.assert_runtime_depends_only("pantau-reflector")
        before = files_under(TREES)
        self.install("pantau-reflector")
        self.assert_runs(["/usr/bin/pantau-reflector", "--check", "--config",
                          "/etc/pantau/reflector.ini"], "configuration OK")
        self.exposure("pantau-reflector.service")
        self.purge_and_compare(before)


if __name__ == "__main__":
    unittest.main()
