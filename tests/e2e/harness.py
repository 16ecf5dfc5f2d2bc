"""Shared pieces of the end-to-end tests: real processes on loopback.

Everything a test starts is registered with its TestCase and stopped in
tearDown, also when the test fails. Waiting is always polling a condition
with a deadline (wait_for), never a fixed sleep.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request

ROOT = os.environ.get("PANTAU_ROOT") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("PANTAU_BUILD") or os.path.join(ROOT, "build")
OUT = os.path.join(ROOT, "tests", "out")
CATALOG_DIR = os.path.join(BUILD, "share", "pantau")
sys.path.insert(0, os.path.join(ROOT, "deploy", "mosquitto"))
import brokerconf  # noqa: E402  (deploy/mosquitto/brokerconf.py)
sys.path.insert(0, os.path.join(ROOT, "deploy", "demo"))
import pgcluster  # noqa: E402,F401  (deploy/demo/pgcluster.py: the tests' PostgreSQL)
from procs import children_of  # noqa: E402,F401  (deploy/demo/procs.py)

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
MOSQUITTO_PUB = shutil.which("mosquitto_pub") or "/usr/bin/mosquitto_pub"
MOSQUITTO_SUB = shutil.which("mosquitto_sub") or "/usr/bin/mosquitto_sub"


def binary(name):
    return os.path.join(BUILD, name)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def wait_for(predicate, timeout, what, interval=0.05):
    """Poll predicate until it returns a truthy value; fail after timeout."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except Exception as e:  # the condition may not be checkable yet
            last_exc = e
        if time.monotonic() >= deadline:
            extra = f" (last error: {last_exc})" if last_exc else ""
            raise AssertionError(f"timed out after {timeout} s waiting for {what}{extra}")
        time.sleep(interval)


def http_json(url, timeout=5):
    """GET url; returns (status, parsed JSON body)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, json.loads(r.read().decode())
    except urllib.error.HTTPError as e:
        body = e.read().decode()
        try:
            return e.code, json.loads(body)
        except ValueError:
            return e.code, body


def wait_subscribed(broker, api, timeout=15):
    """Wait until the collector's subscriptions are active: the broker has
    acknowledged each of them (GET /api/v1/stats: subscribed)."""
    wait_for(lambda: http_json(f"{api}/api/v1/stats")[1].get("subscribed") is True, timeout,
             "the collector's subscriptions", interval=0.1)


def start_sub_log(broker, path, topics, ready_topic):
    """mosquitto_sub at QoS 1 on topics (ready_topic among what they match),
    each message as "UNIX_TIME PAYLOAD" in path; returns once a message on
    ready_topic has come through. The caller stops the process it returns."""
    argv = [MOSQUITTO_SUB, "-h", "127.0.0.1", "-p", str(broker.port), "-q", "1", "-F", "%U %p"]
    for t in topics:
        argv += ["-t", t]
    with open(path, "w") as out:
        sub = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL)

    def subscribed():
        broker.publish(ready_topic, "ready")
        with open(path) as f:
            return " ready" in f.read()
    try:
        wait_for(subscribed, 15, "mosquitto_sub's subscription", interval=0.2)
    except BaseException:
        sub.kill()
        sub.wait()
        raise
    return sub


def sub_log_delays(path, agent_prefix):
    """Receive time minus the batch's ts (ms) of each batch in start_sub_log's
    file from an agent whose id starts with agent_prefix."""
    import datetime
    out = []
    with open(path) as f:
        for line in f:
            when, _, payload = line.partition(" ")
            try:
                b = json.loads(payload)
            except ValueError:
                continue
            if not isinstance(b, dict) or not b.get("agent", "").startswith(agent_prefix):
                continue
            ts = datetime.datetime.strptime(b["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                tzinfo=datetime.timezone.utc).timestamp()
            out.append((float(when) - ts) * 1000)
    return out


class Proc:
    """A started process with its output in a log file."""

    def __init__(self, name, argv, workdir, env=None):
        self.name = name
        self.argv = argv
        self.log_path = os.path.join(workdir, f"{name}.log")
        self.log = open(self.log_path, "ab")
        self.killed = False      # set when a test kills it on purpose
        self.p = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, cwd=workdir,
                                  env=dict(os.environ, **(env or {})))

    @property
    def pid(self):
        return self.p.pid

    def alive(self):
        return self.p.poll() is None

    def signal(self, sig):
        if self.alive():
            self.p.send_signal(sig)

    def stop(self, timeout=10):
        """SIGTERM, then SIGKILL after timeout; returns the exit status."""
        if self.alive():
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.log.close()
        return self.p.returncode

    def kill(self):
        self.killed = True
        if self.alive():
            self.p.kill()
        self.p.wait()
        self.log.close()
        return self.p.returncode

    def wait(self, timeout):
        return self.p.wait(timeout)

    def output(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")


SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def sanitizer_reports(proc):
    """Lines where ASan, LSan or UBSan reported a problem in proc's log."""
    return [f"{proc.name}: {line.strip()}" for line in proc.output().splitlines()
            if any(m in line for m in SANITIZER_MARKS)]


class Broker:
    """A real mosquitto on a free loopback port, anonymous, with the queue and
    persistence settings of deploy/mosquitto/pantau.conf (brokerconf.py) and
    its publish limit (the build's pantau_limit.so; plugin_opts replace some
    of its options), which limits only clients that log in."""

    def __init__(self, workdir, extra_conf="", persistence=True, overrides=None,
                 plugin_opts=None):
        self.port = free_port()
        conf = os.path.join(workdir, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write(brokerconf.local_conf(self.port, workdir, persistence,
                                          "log_dest stdout\nlog_type error\nlog_type warning\n"
                                          "log_type notice\n" + extra_conf, overrides,
                                          binary("pantau_limit.so"), plugin_opts))
        self.proc = Proc("mosquitto", [MOSQUITTO, "-c", conf], workdir)
        wait_for(lambda: port_open(self.port) or not self.proc.alive(), 10,
                 "mosquitto to listen")
        if not self.proc.alive():
            raise RuntimeError("mosquitto did not start:\n" + self.proc.output())

    def stop(self):
        return self.proc.stop()

    def publish(self, topic, payload, qos=1, retain=False):
        argv = [MOSQUITTO_PUB, "-h", "127.0.0.1", "-p", str(self.port), "-q", str(qos),
                "-t", topic]
        if retain:
            argv.append("-r")
        if payload is None:
            argv.append("-n")
        else:
            argv += ["-s"]
        subprocess.run(argv, input=payload.encode() if isinstance(payload, str) else payload,
                       check=True, timeout=10)


def write_ini(path, sections):
    """sections: {section: {key: value}} written in order."""
    with open(path, "w") as f:
        for name, keys in sections.items():
            f.write(f"[{name}]\n")
            for k, v in keys.items():
                f.write(f"{k} = {v}\n")
            f.write("\n")
    return path


class E2ETestCase(unittest.TestCase):
    """Gives each test a clean work directory and stops what it started.
    store_url: the collector's [store] url (None: the SQLite file in the
    work directory); on_postgresql() makes a class's PostgreSQL twin."""

    store_url = None

    def setUp(self):
        self.workdir = os.path.join(OUT, self.id().replace("test_", "", 1))
        shutil.rmtree(self.workdir, ignore_errors=True)
        os.makedirs(self.workdir)
        self._procs = []
        self._cleanups_stack = []

    def tearDown(self):
        problems = []
        for p in reversed(self._procs):
            try:
                rc = p.stop(timeout=10)
            except Exception as e:
                problems.append(f"{p.name}: could not be stopped: {e}")
                continue
            if not p.killed and rc != 0:
                problems.append(f"{p.name} exited with status {rc} after SIGTERM")
            problems += sanitizer_reports(p)
        outcome = getattr(self, "_outcome", None)
        failed = bool(problems) or not getattr(outcome, "success", True)
        if failed:
            for p in self._procs:
                print(f"---- {p.name} log ({p.log_path}), last lines:")
                print("\n".join(p.output().splitlines()[-30:]))
        if problems:
            raise AssertionError("; ".join(problems))

    def start(self, name, argv, env=None):
        p = Proc(name, argv, self.workdir, env)
        self._procs.append(p)
        return p

    def start_pg(self, name):
        """A throwaway PostgreSQL cluster (deploy/demo/pgcluster.py), started;
        removed after the test."""
        pg = pgcluster.PgCluster(name)
        self.addCleanup(pg.remove)
        pg.start()
        return pg

    def store_on_pg(self, name):
        """This test's collectors store into a throwaway PostgreSQL cluster
        (start_pg): self.pg, and self.store_url for collector_config."""
        self.pg = self.start_pg(name)
        self.store_url = self.pg.url()
        return self.pg

    def start_broker(self, extra_conf="", persistence=True, plugin_opts=None):
        b = Broker(self.workdir, extra_conf, persistence, plugin_opts=plugin_opts)
        self._procs.append(b.proc)
        return b

    def collector_config(self, broker_port, api_port=None, **overrides):
        api_port = api_port or free_port()
        sections = {
            "collector": {"database": os.path.join(self.workdir, "pantau.db"),
                          "catalog_dir": CATALOG_DIR, "log_level": "info"},
            "broker": {"host": "127.0.0.1", "port": broker_port,
                       "client_id": f"pantau-collector-{os.getpid()}"},
            # cache_ms 0: tests see each change at once (ApiCacheTest turns it on).
            "api": {"listen": "127.0.0.1", "port": api_port,
                    "web_dir": os.path.join(CATALOG_DIR, "web"), "cache_ms": 0},
        }
        if self.store_url is not None:
            sections["store"] = {"url": self.store_url}
        for key, value in overrides.items():
            section, _, k = key.partition("__")
            sections.setdefault(section, {})[k] = value
        path = write_ini(os.path.join(self.workdir, "collector.ini"), sections)
        return path, api_port

    def agent_config(self, name, broker_port, agent_id, region, probes, **overrides):
        """probes: {probe_name: {key: value}} ([probe.NAME] sections)."""
        sections = {
            "agent": {"id": agent_id, "region": region, "site": f"Site {agent_id}",
                      "link": "fiber", "interval": 5, "splay": 0,
                      "state_dir": os.path.join(self.workdir, f"state-{agent_id}")},
            "broker": {"host": "127.0.0.1", "port": broker_port},
        }
        for pname, keys in probes.items():
            sections[f"probe.{pname}"] = keys
        for key, value in overrides.items():
            section, _, k = key.partition("__")
            sections.setdefault(section, {})[k] = value
        return write_ini(os.path.join(self.workdir, f"{name}.ini"), sections)

    def start_collector(self, config):
        p = self.start("collector", [binary("pantau-collector"), "--config", config])
        return p

    def start_stack(self, **overrides):
        """A broker and a collector (collector_config's overrides) with its
        API up: self.broker, self.api_port, self.collector, self.api."""
        self.broker = self.start_broker()
        cfg, self.api_port = self.collector_config(self.broker.port, **overrides)
        self.collector = self.start_collector(cfg)
        self.wait_api(self.api_port, self.collector)
        self.api = f"http://127.0.0.1:{self.api_port}"
        return cfg

    def wait_api(self, api_port, proc, timeout=15):
        def up():
            if not proc.alive():
                raise AssertionError("collector exited:\n" + proc.output())
            return http_json(f"http://127.0.0.1:{api_port}/healthz")[0] == 200
        wait_for(up, timeout, "the collector's API")


# A test class that needs PostgreSQL (deploy/demo/pgcluster.py): skipped
# where postgresql-15 is not installed.
needs_postgresql = unittest.skipUnless(pgcluster.available(), "postgresql-15 is not installed")


def on_postgresql(cls):
    """cls again, its collectors storing into PostgreSQL (issue 15): one
    throwaway cluster (deploy/demo/pgcluster.py) for the class, an empty
    database for each test. Skipped when postgresql-15 is not installed."""

    class Twin(cls):
        @classmethod
        def setUpClass(cls_):
            super().setUpClass()
            cls_.pg = pgcluster.PgCluster(cls.__name__.lower())
            try:
                cls_.pg.start()
            except Exception:
                cls_.pg.remove()
                raise
            cls_.store_url = cls_.pg.url()

        @classmethod
        def tearDownClass(cls_):
            cls_.pg.remove()
            super().tearDownClass()

        def setUp(self):
            self.pg.psql(f"DROP DATABASE IF EXISTS {self.pg.dbname} WITH (FORCE)", db="postgres")
            self.pg.psql(f"CREATE DATABASE {self.pg.dbname}", db="postgres")
            super().setUp()

    name = cls.__name__
    Twin.__name__ = Twin.__qualname__ = (name[:-4] + "PgTest" if name.endswith("Test")
                                         else name + "Pg")
    Twin.__module__ = cls.__module__
    Twin.__doc__ = (cls.__doc__ or "") + " (on PostgreSQL)"
    return needs_postgresql(Twin)
