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
import ssl
import subprocess
import tempfile
import unittest
import urllib.request

from harness import MOSQUITTO, ROOT, free_port, port_open, wait_for, write_ini
from test_tls import make_pki

DEB_DIR = os.path.join(ROOT, "build", "deb")
TREES = ("/etc", "/usr", "/var/lib")
# dpkg's and apt's own bookkeeping changes with every install (status-old,
# triggers); what it keeps for a package is named after it and still counts.
BOOKKEEPING = ("/var/lib/dpkg/", "/var/lib/apt/")
BUILD_TIMEOUT_S = 900
RUN_TIMEOUT_S = 30
# systemd-analyze security's goal for the agent (issue 14).
AGENT_EXPOSURE_MAX = 2.5
# A uid in systemd's DynamicUser= range (61184-65519) that no user has here.
DYNAMIC_UID = 61999
# What systemd does for pantau-agent.service's DynamicUser=, StateDirectory=,
# UMask=, AmbientCapabilities=, NoNewPrivileges= and ProtectSystem=strict,
# done by hand because no systemd runs as PID 1 here (booting one in a
# namespace once emptied the machine's /tmp: docs/deployment.md): the state
# folder moved to /var/lib/private/ behind a symlink and given to the
# dynamic user, /var/lib/private opened only inside the unit's own mount
# namespace, /usr and /etc read-only there, then the unit's command run as
# that user with CAP_NET_RAW alone. $1 is the unit's command line; $HOLD an
# empty folder of the test's where the real /var/lib/private is held.
UNIT_SANDBOX = r"""
set -e
state=/var/lib/private/pantau-agent
mkdir -p $HOLD
mount --bind /var/lib/private $HOLD
mount -t tmpfs -o mode=0755 tmpfs /var/lib/private
mkdir $state
mount --bind $HOLD/pantau-agent $state
for d in /usr /etc; do mount --bind $d $d; mount -o remount,bind,ro $d; done
umask $UMASK
exec setpriv --reuid=$UID_ --regid=$UID_ --clear-groups --inh-caps=-all,+net_raw \
    --ambient-caps=-all,+net_raw --bounding-set=-all,+net_raw --no-new-privs -- $1
"""
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
        self.assert_broker_loads_the_plugin()
        self.exposure("pantau-collector.service")
        self.purge_and_compare(before)

    def assert_broker_loads_the_plugin(self):
        """The publish limit where the installed pantau.conf names it, and
        mosquitto loads it with the options there."""
        with open("/usr/share/pantau/mosquitto/pantau.conf") as f:
            conf = f.read()
        self.assertIn("plugin /usr/lib/pantau/pantau_limit.so\n", conf)
        self.assertNotIn("/usr/local/", conf)
        lines = [line for line in conf.splitlines() if line.startswith(("plugin", "plugin_opt_"))]
        port = free_port()
        with tempfile.TemporaryDirectory() as d:
            with open(f"{d}/mosquitto.conf", "w") as f:
                f.write(f"user root\nlog_dest stdout\nlistener {port} 127.0.0.1\n"
                        + "\n".join(lines) + "\n")
            broker = subprocess.Popen([MOSQUITTO, "-c", f"{d}/mosquitto.conf"],
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            try:
                wait_for(lambda: port_open(port) or broker.poll() is not None, 10,
                         "mosquitto with the installed plugin")
                alive = broker.poll() is None
            finally:
                broker.terminate()
                out = broker.communicate(timeout=10)[0]
        self.assertTrue(alive, out)
        self.assertIn("pantau_limit: 50 publishes/s per client, bursts of 1000", out)

    def unit_setting(self, unit, key):
        with open(f"/lib/systemd/system/{unit}") as f:
            return [line.split("=", 1)[1].strip() for line in f
                    if line.startswith(key + "=")]

    def as_unit(self, command, hold, timeout=RUN_TIMEOUT_S):
        """Run command as pantau-agent.service would (UNIT_SANDBOX)."""
        umask = self.unit_setting("pantau-agent.service", "UMask")[0]
        env = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "UMASK": umask,
               "UID_": str(DYNAMIC_UID), "HOLD": hold}
        argv = ["unshare", "--mount", "--propagation", "private", "sh", "-c", UNIT_SANDBOX,
                "sandbox", command]
        if timeout is None:
            return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True)
        return run(argv, timeout=timeout, env=env)

    def enrol_stack(self, d):
        """A broker requiring client certificates of the client CA, and the
        installed collector enrolling over HTTPS: (api URL, pki, processes)."""
        pki = make_pki(d, "server")
        ca = os.path.join(d, "ca")
        p = run(["/usr/bin/pantau", "ca", "init", "--dir", ca])
        self.assertEqual(p.returncode, 0, p.stderr)
        tls, plain, api = free_port(), free_port(), free_port()
        with open(f"{d}/mosquitto.conf", "w") as f:
            f.write(f"per_listener_settings true\nuser root\nlog_dest stdout\n"
                    f"listener {plain} 127.0.0.1\nallow_anonymous true\n"
                    f"listener {tls} 127.0.0.1\ncafile {ca}/ca.crt\n"
                    f"certfile {pki['server.pem']}\nkeyfile {pki['server.key']}\n"
                    f"require_certificate true\nuse_identity_as_username true\n"
                    f"crlfile {ca}/crl.pem\nacl_file /usr/share/pantau/mosquitto/pantau.acl\n")
        procs = [subprocess.Popen([MOSQUITTO, "-c", f"{d}/mosquitto.conf"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
        ini = write_ini(f"{d}/collector.ini", {
            "collector": {"database": f"{d}/pantau.db", "catalog_dir": "/usr/share/pantau"},
            "broker": {"host": "127.0.0.1", "port": plain, "client_id": "deb-test"},
            "api": {"listen": "127.0.0.1", "port": api, "tls_cert": pki["server.pem"],
                    "tls_key": pki["server.key"], "web_dir": "/usr/share/pantau/web"},
            "enrol": {"ca_dir": ca, "broker_host": "127.0.0.1", "broker_port": tls,
                      "broker_cafile": pki["ca.pem"]}})
        procs.append(subprocess.Popen(["/usr/bin/pantau-collector", "--config", ini],
                                      stdout=open(f"{d}/collector.log", "w"),
                                      stderr=subprocess.STDOUT))
        wait_for(lambda: port_open(api) and port_open(tls) or procs[1].poll() is not None, 15,
                 "the installed collector's HTTPS API and the broker")
        self.assertIsNone(procs[1].poll(), open(f"{d}/collector.log").read())
        return f"https://127.0.0.1:{api}", pki, procs

    def test_agent_enrols_and_runs_as_its_unit(self):
        """The technician's path on an installed box: pantau-agent enrol as
        root, then the agent as pantau-agent.service runs it (UNIT_SANDBOX)
        reads the key enrol wrote, delivers over TLS with its certificate,
        and renews into its state folder with /etc read-only."""
        private_was_there = os.path.exists("/var/lib/private")
        if not private_was_there:
            self.addCleanup(shutil.rmtree, "/var/lib/private", ignore_errors=True)
        before = files_under(TREES)
        self.install("pantau-common", "pantau-agent", "pantau-collector")
        self.assertEqual(self.unit_setting("pantau-agent.service", "DynamicUser"), ["yes"])
        self.assertEqual(self.unit_setting("pantau-agent.service", "StateDirectory"),
                         ["pantau-agent"])
        d = tempfile.mkdtemp(prefix="pantau-deb-")
        os.chmod(d, 0o755)   # the agent's user reads the broker's CA here
        url, pki, procs = self.enrol_stack(d)
        agent = None
        try:
            tok = run(["/usr/bin/pantau", "enrol", "new", "--region", "32.73", "--site",
                       "SMPN 1 Deb", "--no-qr", "--db", f"{d}/pantau.db"])
            self.assertEqual(tok.returncode, 0, tok.stderr)
            enrol = run(["/usr/bin/pantau-agent", "enrol", tok.stdout.split()[0], "--collector",
                         url, "--cacert", pki["ca.pem"], "--config", "/etc/pantau/agent.ini"])
            self.assertEqual(enrol.returncode, 0, enrol.stdout + enrol.stderr)
            agent_id = re.search(r"agent (ag-3273-\d{4})", enrol.stderr).group(1)
            # the technician's edit: this site's probes (one, to the broker) and a
            # short interval for the test
            with open("/etc/pantau/agent.ini") as f:
                text = f.read()
            port = re.search(r"(?ms)^\[broker\].*?^port = (\d+)", text).group(1)
            text = re.sub(r"(?ms)^\[probe\.[^]]*\]$.*?(?=^\[|\Z)", "", text)
            text = re.sub(r"(?m)^interval = 60.*$", "interval = 3\nsplay = 0", text)
            with open("/etc/pantau/agent.ini", "w") as f:
                f.write(text + f"[probe.broker]\ntype = tcp\ntarget = 127.0.0.1:{port}\n"
                        "timeout_ms = 2000\n")
            # systemd's part at the unit's first start
            os.makedirs("/var/lib/private", mode=0o700, exist_ok=True)
            os.rename("/var/lib/pantau-agent", "/var/lib/private/pantau-agent")
            os.symlink("private/pantau-agent", "/var/lib/pantau-agent")
            for top, dirs, files in os.walk("/var/lib/private/pantau-agent"):
                for name in [top] + [os.path.join(top, n) for n in dirs + files]:
                    os.chown(name, DYNAMIC_UID, DYNAMIC_UID)
            pre = self.unit_setting("pantau-agent.service", "ExecStartPre")[0]
            check = self.as_unit(pre, f"{d}/hold")
            self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
            agent = self.as_unit(self.unit_setting("pantau-agent.service", "ExecStart")[0],
                                 f"{d}/hold", timeout=None)
            ctx = ssl.create_default_context(cafile=pki["ca.pem"])

            def stored():
                if agent.poll() is not None:
                    raise AssertionError("the agent exited:\n" + agent.stdout.read())
                with urllib.request.urlopen(f"{url}/api/v1/sites/{agent_id}", context=ctx,
                                            timeout=5) as r:
                    return json.loads(r.read()).get("latest")
            wait_for(stored, 30, "a batch of the enrolled agent stored by the collector")
            renew = self.as_unit("/usr/bin/pantau-agent renew --config /etc/pantau/agent.ini",
                                 f"{d}/hold")
            self.assertEqual(renew.returncode, 0, renew.stdout + renew.stderr)
            crt = f"/var/lib/private/pantau-agent/{agent_id}.crt"
            self.assertEqual(os.stat(crt).st_uid, DYNAMIC_UID, "renewed by the unit's user")
            key = os.stat(f"/var/lib/private/pantau-agent/{agent_id}.key")
            self.assertEqual((key.st_uid, key.st_mode & 0o777), (DYNAMIC_UID, 0o600))
        finally:
            for p in ([agent] if agent else []) + procs:
                p.kill()
                p.wait()
            shutil.rmtree(d, ignore_errors=True)
        self.purge_and_compare(before if private_was_there else before | {"/var/lib/private"})

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
