#!/usr/bin/env python3
"""make demo: a broker, the collector on SQLite and several agents on loopback.

Starts mosquitto on free loopback ports, pantau-collector with its database
under ./var/demo/, and agents at sites in different regencies (one of them in
a 3T regency on a GEO VSAT link) probing local targets. Secure as deployed:
a throwaway client CA (pantau ca init) and a server certificate for the
broker (openssl, a demo shortcut) are made at start, each agent is enrolled
through the real path (pantau enrol new, pantau-agent enrol) and connects
with its own certificate to a TLS listener that requires one and applies the
shipped ACL; plaintext is only the loopback listener of the collector (and
of the simulated sites). Besides them the load
generator plays SIMULATED sites (ids sim-RRRR-NNNN, "simulated": true in the
data) across the country with realistic link profiles: GEO VSAT around
600 ms, cellular, fiber; some degraded, a few offline, and the 3T regency
Jayawijaya at risk. Prints the broker and API addresses and the regional
summary, refreshed every minute. Ctrl-C stops everything it started, agents
first (they publish "offline, shutdown").
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "deploy", "mosquitto"))
import brokerconf  # noqa: E402  (the deployment's queue settings)
import procs  # noqa: E402  (procs.py: stopping what the demo started)

# Simulated sites played by pantau-loadgen --demo.
SIMULATED = 400

# id, regency, site name, link, lat, lon
SITES = [
    ("ag-3273-0001", "32.73", "SMPN 2 Bandung", "fiber", -6.9147, 107.6098),
    ("ag-3171-0001", "31.71", "Kantor KPU Jakarta Pusat", "fiber", -6.1862, 106.8341),
    ("ag-5171-0001", "51.71", "Kantor Camat Denpasar Barat", "cellular", -8.6705, 115.2126),
    # Jayawijaya: a daerah tertinggal (Perpres 63/2020), reached by GEO VSAT.
    ("ag-9501-0001", "95.01", "Distrik Wamena", "vsat-geo", -4.0960, 138.9470),
    # Kepulauan Mentawai, also 3T: its tally endpoint is unreachable in this demo.
    ("ag-1309-0001", "13.09", "Sikakap", "vsat-leo", -2.7870, 99.9890),
]


def port_free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def pick_port(preferred):
    if port_free(preferred):
        return preferred
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def write_ini(path, sections):
    with open(path, "w") as f:
        for name, keys in sections.items():
            f.write(f"[{name}]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items()) + "\n")
    return path


MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


class Demo:
    def __init__(self, build, var):
        self.build = os.path.join(ROOT, build)
        self.var = os.path.abspath(var)
        self.procs = []  # (name, Popen), started in order
        # where enrolment tokens are made (pantau enrol new --db): the store
        self.store = os.path.join(self.var, "pantau.db")

    def start(self, name, argv):
        log = open(os.path.join(self.var, f"{name}.log"), "ab")
        # Own session: Ctrl-C reaches only this script, which stops the
        # children in order (agents before the broker).
        p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=self.var,
                             start_new_session=True)
        self.procs.append((name, p))
        return p

    def pki(self):
        """The client CA (pantau's own code) and the broker's server certificate."""
        self.ca_dir = os.path.join(self.var, "ca")
        subprocess.run([os.path.join(self.build, "pantau"), "ca", "init", "--dir", self.ca_dir],
                       check=True, capture_output=True)

        def openssl(*args):
            subprocess.run(["openssl", *args], cwd=self.var, check=True, capture_output=True)
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-days", "30", "-subj", "/CN=pantau demo server CA", "-keyout", "server-ca.key",
                "-out", "server-ca.pem")
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr")
        with open(os.path.join(self.var, "san.ext"), "w") as f:
            f.write("subjectAltName = IP:127.0.0.1\n")
        openssl("x509", "-req", "-in", "server.csr", "-CA", "server-ca.pem", "-CAkey",
                "server-ca.key", "-CAcreateserial", "-days", "30", "-extfile", "san.ext",
                "-out", "server.pem")
        os.chmod(os.path.join(self.var, "server.key"), 0o644)   # mosquitto's own user

    def prepare(self):
        """An empty var folder with the demo's CA and server certificate."""
        shutil.rmtree(self.var, ignore_errors=True)
        os.makedirs(self.var)
        self.pki()

    def setup(self):
        self.prepare()
        self.mqtt_port = pick_port(18830)
        self.mqtts_port = pick_port(18831)
        self.start_broker("mosquitto", self.mqtt_port, self.agents_listener(self.mqtts_port))
        self.api_port = pick_port(8080)
        self.start_collector("collector", self.api_port, ("127.0.0.1", self.mqtt_port),
                             ("127.0.0.1", self.mqtts_port), collector={"database": self.store})
        for site in SITES:
            self.start_agent(site, self.api(""), self.mqtts_port)
        self.start_simulated(self.mqtt_port)

    def agents_listener(self, port):
        """mosquitto.conf lines of the agents' TLS listener on port."""
        v = self.var
        return (f"listener {port} 127.0.0.1\ncafile {self.ca_dir}/ca.crt\n"
                f"certfile {v}/server.pem\nkeyfile {v}/server.key\n"
                "require_certificate true\nuse_identity_as_username true\n"
                f"crlfile {self.ca_dir}/crl.pem\n"
                f"acl_file {ROOT}/deploy/mosquitto/pantau.acl\n"
                # the agents' listener limits their publishes as the
                # central broker does (docs/deployment.md)
                + "\n".join(brokerconf.plugin_lines(
                    os.path.join(self.build, "pantau_limit.so"))) + "\n")

    def start_broker(self, name, port, extra="", state_dir=None):
        """mosquitto from var/NAME.conf: the loopback listener on port and
        extra lines, its persistence in state_dir (default: var)."""
        state_dir = state_dir or self.var
        os.makedirs(state_dir, exist_ok=True)
        conf = os.path.join(self.var, f"{name}.conf")
        with open(conf, "w") as f:
            f.write("per_listener_settings true\n" + brokerconf.local_conf(port, state_dir,
                                                                          extra=extra))
        self.start(name, [MOSQUITTO, "-c", conf])
        if not wait_for(lambda: socket.create_connection(("127.0.0.1", port), 1), 10):
            raise SystemExit(f"demo: {name} did not start; see {self.var}/{name}.log")

    def start_collector(self, name, api_port, broker, enrol_broker, **sections):
        """pantau-collector with var/NAME.ini: its API on api_port, on broker
        (host, port), handing enrolled agents enrol_broker (host, port);
        sections: {key: value} added to a section ([store], [cluster] ...)."""
        ini = {
            "collector": {"catalog_dir": os.path.join(self.build, "share", "pantau")},
            "broker": {"host": broker[0], "port": broker[1],
                       "client_id": "pantau-collector-demo"},
            "api": {"listen": "127.0.0.1", "port": api_port,
                    "web_dir": os.path.join(self.build, "share", "pantau", "web")},
            "status": {"default_interval": 10},
            "enrol": {"ca_dir": self.ca_dir, "broker_host": enrol_broker[0],
                      "broker_port": enrol_broker[1],
                      "broker_cafile": os.path.join(self.var, "server-ca.pem")},
        }
        for section, keys in sections.items():
            ini.setdefault(section, {}).update(keys)
        cfg = write_ini(os.path.join(self.var, f"{name}.ini"), ini)
        self.start(name, [os.path.join(self.build, "pantau-collector"), "--config", cfg])
        health = f"http://127.0.0.1:{api_port}/healthz"
        if not wait_for(lambda: urllib.request.urlopen(health, timeout=1), 15):
            raise SystemExit(f"demo: {name} did not start; see {self.var}/{name}.log")

    def start_agent(self, site, collector, broker_port):
        """The agent of a SITES row, enrolled at collector (its API's URL),
        probing the agents' broker listener on broker_port."""
        agent_id, region, name, link, lat, lon = site
        tally = collector + "/healthz"
        if agent_id == "ag-1309-0001":
            tally = f"http://127.0.0.1:{pick_port(9)}/tally"  # nothing listens there
        # the package's file: link, place and probes; enrolment adds who and where
        cfg = write_ini(os.path.join(self.var, f"{agent_id}.ini"), {
            "agent": {"link": link, "latitude": lat, "longitude": lon, "interval": 10,
                      "splay": 2, "state_dir": os.path.join(self.var, agent_id)},
            "probe.gateway": {"type": "icmp", "target": "127.0.0.1", "count": 10,
                              "spacing_ms": 100},
            "probe.broker": {"type": "tcp", "target": f"127.0.0.1:{broker_port}"},
            "probe.tally": {"type": "http", "target": tally, "timeout_ms": 3000},
        })
        token = subprocess.run([os.path.join(self.build, "pantau"), "enrol", "new", "--region",
                                region, "--site", name, "--no-qr", "--db", self.store],
                               capture_output=True, text=True, check=True).stdout.strip()
        out = subprocess.run([os.path.join(self.build, "pantau-agent"), "enrol", token,
                              "--collector", collector, "--config", cfg],
                             capture_output=True, text=True)
        if out.returncode != 0 or f"agent {agent_id}," not in out.stderr:
            raise SystemExit(f"demo: enrolling {name} failed:\n{out.stderr}")
        self.start(agent_id, [os.path.join(self.build, "pantau-agent"), "--config", cfg])

    def start_simulated(self, port):
        """The SIMULATED sites of pantau-loadgen --demo on the broker at port."""
        self.start("simulated", [
            os.path.join(self.build, "pantau-loadgen"), "--port", str(port),
            "--agents", str(SIMULATED), "--connections", "4", "--births", "--demo",
            "--interval", "10", "--seed", "2024", "--prefix", "sim",
            "--catalog", os.path.join(self.build, "share", "pantau")])

    def api(self, path):
        return f"http://127.0.0.1:{self.api_port}{path}"

    def addresses(self):
        """The lines printed once everything started."""
        return [f"broker: mqtts://127.0.0.1:{self.mqtts_port} (agents, with their "
                f"certificates), mqtt://127.0.0.1:{self.mqtt_port} (collector, loopback)",
                f"api: http://127.0.0.1:{self.api_port}/"] + self.dashboard()

    def dashboard(self):
        return [f"dashboard: http://127.0.0.1:{self.api_port}/",
                f"try: build/pantau summary --url http://127.0.0.1:{self.api_port}",
                f"     build/pantau site ag-9501-0001 --url http://127.0.0.1:{self.api_port}"]

    def summary(self, head=16):
        out = subprocess.run([os.path.join(self.build, "pantau"), "summary", "--url",
                              self.api("")], capture_output=True, text=True)
        lines = (out.stdout or out.stderr).rstrip("\n").splitlines()
        if len(lines) > head + 4:  # worst first: the top, then the totals
            more = len(lines) - head - 2
            lines = lines[:head] + [f"... {more} more regencies ('pantau summary' lists all)",
                                    ""] + lines[-1:]
        print("\n".join(lines) + "\n", flush=True)

    def reported(self):
        with urllib.request.urlopen(self.api("/api/v1/regions"), timeout=2) as r:
            regions = json.loads(r.read())["regions"]
        # every real site's regency has a result, and the status engine's
        # roll-up (once a second) has judged it
        done = {x["code"] for x in regions if x.get("last_result") and
                x.get("status") != "UNKNOWN"}
        return {site[1] for site in SITES} <= done

    def stop_processes(self):
        procs.stop_all([p for _, p in reversed(self.procs)], 10)

    def stop(self):
        self.stop_processes()
        print(f"demo: stopped everything it started; logs and database in {self.var}/")


def main(demo_class=Demo, var_name="demo", doc=__doc__):
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--once", action="store_true",
                    help="print the summary once the sites reported, then stop (exit 1 "
                    "when they did not within 60 s)")
    ap.add_argument("--var", default=os.path.join(ROOT, "var", var_name),
                    help="the folder for the demo's configs, logs, CA and database "
                    f"(emptied at start; default var/{var_name})")
    args = ap.parse_args()
    # Ctrl-C (also when started from a script that ignores SIGINT) and
    # SIGTERM both stop everything the demo started.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    demo = demo_class(args.build, args.var)
    try:
        demo.setup()
        print("\n".join(demo.addresses()))
        print(f"waiting for {len(SITES)} sites to report (and {SIMULATED} simulated ones "
              f"across the country) ...", flush=True)
        reported = wait_for(demo.reported, 60)
        demo.summary()
        if args.once:
            if not reported:
                print(f"demo: not every site reported within 60 s; see the logs in "
                      f"{demo.var}", file=sys.stderr)
            return 0 if reported else 1
        print("demo running; press Ctrl-C to stop. The summary refreshes every minute.",
              flush=True)
        while True:
            time.sleep(60)  # a display refresh period, not a wait for a condition
            demo.summary()
    except KeyboardInterrupt:
        print()
    finally:
        # a second Ctrl-C or SIGTERM does not cut the stopping short
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        demo.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
