"""Enrolment and impersonation (docs/deployment.md, "Enrolment"), with the
real collector serving HTTPS (a server CA made here with the openssl
command line) and a real mosquitto that requires a client certificate of
pantau's client CA (made by `pantau ca init`), takes the agent id from it
(use_identity_as_username), reads the CA's CRL and applies the shipped ACL
(deploy/mosquitto/pantau.acl). The collector connects on a plain loopback
listener of its own.

An agent enrols with a one-time token and its batches are stored; a used,
an expired, a wrong and a mistyped token are refused with the sentence
that says what to do; a revoked certificate is refused by the broker after
a SIGHUP; an expired one and one of another CA are refused; agent A publishing B's
results or status, or reading B's cmd topic, gets nothing through and B's
data stay as they were; a certificate request naming another agent is
refused. Token and CSR checks in detail: tests/unit/test_enrol.c."""
import csv
import io
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import time
import urllib.error
import urllib.request

from harness import (on_postgresql, CATALOG_DIR, MOSQUITTO, MOSQUITTO_PUB, MOSQUITTO_SUB, ROOT, E2ETestCase,
                     binary, free_port, port_open, wait_for, write_ini)
from test_tls import make_pki, openssl

ACL = os.path.join(ROOT, "deploy", "mosquitto", "pantau.acl")
QR_DECODE = os.path.join(ROOT, "tests", "e2e", "qr_decode.mjs")
# the terminal's half blocks: (top light, bottom light); light modules are drawn
HALF_BLOCKS = {"\u2588": (True, True), "\u2580": (True, False), "\u2584": (False, True),
               " ": (False, False)}


def qr_decode(rows):
    """What a phone reads from a module matrix (1 dark): jsQR's decoding."""
    p = subprocess.run(["node", QR_DECODE], input=json.dumps({"rows": rows}),
                       capture_output=True, text=True, timeout=30)
    return p.stdout if p.returncode == 0 else None


def terminal_rows(lines):
    """The module matrix of a QR code printed in the terminal."""
    rows = []
    for line in lines:
        top = "".join("0" if HALF_BLOCKS[c][0] else "1" for c in line)
        bottom = "".join("0" if HALF_BLOCKS[c][1] else "1" for c in line)
        rows += [top, bottom]
    return rows


def svg_rows(svg):
    """The module matrix of a sheet's QR code (M x y h1v1h-1z per dark module)."""
    side = int(re.search(r'viewBox="0 0 (\d+) \1"', svg).group(1))
    grid = [["0"] * side for _ in range(side)]
    for x, y in re.findall(r"M(\d+) (\d+)h1v1h-1z", svg):
        grid[int(y)][int(x)] = "1"
    return ["".join(r) for r in grid]


def run(*argv, timeout=60):
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout,
                          env={"PATH": "/usr/bin:/bin", "LANG": "C"})


class EnrolTest(E2ETestCase):
    def setUp(self):
        super().setUp()
        d = self.workdir
        self.pki = make_pki(d, "server")
        self.ca_dir = os.path.join(d, "ca")
        out = run(binary("pantau"), "ca", "init", "--dir", self.ca_dir)
        self.assertEqual(out.returncode, 0, out.stderr)
        # the broker's copy of the CRL, as where it cannot read the CA's folder
        self.crl = os.path.join(d, "broker-crl.pem")
        shutil.copy(os.path.join(self.ca_dir, "crl.pem"), self.crl)
        self.tls_port, self.plain_port = free_port(), free_port()
        conf = os.path.join(d, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write(f"per_listener_settings true\nlog_dest stdout\n"
                    f"{'user root' if os.geteuid() == 0 else ''}\n"
                    f"listener {self.plain_port} 127.0.0.1\nallow_anonymous true\n"
                    f"listener {self.tls_port} 127.0.0.1\n"
                    f"cafile {self.ca_dir}/ca.crt\ncertfile {self.pki['server.pem']}\n"
                    f"keyfile {self.pki['server.key']}\nrequire_certificate true\n"
                    f"use_identity_as_username true\ncrlfile {self.crl}\nacl_file {ACL}\n"
                    f"pid_file {d}/mosquitto.pid\n")
        self.broker = self.start("mosquitto", [MOSQUITTO, "-c", conf])
        wait_for(lambda: port_open(self.tls_port) and port_open(self.plain_port)
                 or not self.broker.alive(), 10, "mosquitto to listen")
        self.assertTrue(self.broker.alive(), self.broker.output())
        self.db = self.store_url or os.path.join(d, "pantau.db")
        self.api_port = free_port()
        cfg, _ = self.collector_config(
            self.plain_port, self.api_port, api__tls_cert=self.pki["server.pem"],
            api__tls_key=self.pki["server.key"], enrol__ca_dir=self.ca_dir,
            enrol__broker_host="127.0.0.1", enrol__broker_port=self.tls_port,
            enrol__broker_cafile=self.pki["ca.pem"])
        self.collector = self.start_collector(cfg)
        self.bearer = None  # the API token requests carry, if any
        self.url = f"https://127.0.0.1:{self.api_port}"
        self.state = {}     # agent id: its state folder, where its key is

        def up():
            if not self.collector.alive():
                raise AssertionError("collector exited:\n" + self.collector.output())
            return self.get("/healthz")[0] == 200
        wait_for(up, 15, "the collector's HTTPS API")

    # ---- helpers ----

    def request(self, path, body=None):
        import ssl
        ctx = ssl.create_default_context(cafile=self.pki["ca.pem"])
        req = urllib.request.Request(self.url + path, method="POST" if body else "GET",
                                     data=json.dumps(body).encode() if body else None)
        if self.bearer:
            req.add_header("Authorization", f"Bearer {self.bearer}")
        try:
            with urllib.request.urlopen(req, timeout=10, context=ctx) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())
        except urllib.error.URLError:
            return 0, None

    def get(self, path):
        return self.request(path)

    def token(self, site="SMPN 2 Bandung", *extra):
        out = run(binary("pantau"), "enrol", "new", "--region", "32.73", "--site", site,
                  "--db", self.db, *extra)
        self.assertEqual(out.returncode, 0, out.stderr)
        lines = out.stdout.splitlines()
        self.assertRegex(lines[0], r"^pe_[1-9][0-9]*_[0-9a-f]{32}$")
        if "--no-qr" not in extra:
            self.assertGreater(len(lines), 10, "a QR code follows the token")
            self.assertEqual(qr_decode(terminal_rows(lines[1:])), lines[0],
                             "the terminal's QR code reads back as the token")
        return lines[0]

    def base_config(self, name):
        """The package's config: probes, no identity yet."""
        return write_ini(os.path.join(self.workdir, f"{name}.ini"), {
            "agent": {"id": "ag-unset", "region": "11.01", "link": "fiber", "interval": 2,
                      "splay": 0, "state_dir": os.path.join(self.workdir, f"state-{name}")},
            "broker": {"host": "old.example", "password": "change-me"},
            "probe.lo": {"type": "tcp", "target": f"127.0.0.1:{self.tls_port}",
                         "timeout_ms": 2000}})

    def enrol(self, token, config, lang="en", cacert=None):
        return run(binary("pantau-agent"), "enrol", token, "--collector", self.url,
                   "--cacert", cacert or self.pki["ca.pem"], "--config", config,
                   "--lang", lang)

    def enrolled(self, name):
        """A config enrolled with a new token: (agent id, config path)."""
        config = self.base_config(name)
        out = self.enrol(self.token(f"Site {name}", "--no-qr"), config)
        self.assertEqual(out.returncode, 0, out.stderr)
        agent = out.stderr.split("agent ")[1].split(",")[0]
        self.state[agent] = os.path.join(self.workdir, f"state-{name}")
        return agent, config

    def files(self, agent):
        d = self.state[agent]
        return self.client(f"{d}/{agent}.crt", f"{d}/{agent}.key")

    def client(self, cert, key):
        """mosquitto_pub/sub's options for the TLS listener with cert."""
        return ["--cafile", self.pki["ca.pem"], "--cert", cert, "--key", key, "-h", "127.0.0.1",
                "-p", str(self.tls_port)]

    def sub(self, name, args):
        """mosquitto_sub with args, its lines written as they come."""
        return self.start(name, ["stdbuf", "-oL", MOSQUITTO_SUB, *args])

    def site(self, agent):
        return self.get(f"/api/v1/sites/{agent}")

    # ---- tests ----

    def test_enrol_end_to_end(self):
        config = self.base_config("box")
        before = open(config).read()
        token = self.token()
        out = self.enrol(token, config)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn('enrolled: this box is agent ag-3273-0001, site "SMPN 2 Bandung"',
                      out.stderr)
        key = os.path.join(self.workdir, "state-box", "ag-3273-0001.key")
        self.assertEqual(stat.S_IMODE(os.stat(key).st_mode), 0o600)
        text = open(config).read()
        self.assertIn("id = ag-3273-0001", text)
        self.assertIn(f"port = {self.tls_port}", text)
        self.assertNotIn("password", text)
        self.assertIn("[probe.lo]", text)              # the rest is kept
        self.assertNotEqual(before, text)
        # the certificate: the client CA's, subject the agent id, a year
        crt = os.path.join(self.workdir, "state-box", "ag-3273-0001.crt")
        subj = run("openssl", "x509", "-in", crt, "-noout", "-subject", "-enddate")
        self.assertIn("CN = ag-3273-0001", subj.stdout)
        self.assertEqual(run("openssl", "verify", "-CAfile", f"{self.ca_dir}/ca.crt",
                             crt).returncode, 0)
        check = run(binary("pantau-agent"), "check", "--config", config, "--catalog",
                    CATALOG_DIR, "--lang", "en")
        self.assertEqual(check.returncode, 0, check.stdout)
        self.assertIn(f"broker 127.0.0.1:{self.tls_port} accepted user ag-3273-0001",
                      check.stdout)
        self.assertIn("[ OK ] certificate of agent ag-3273-0001 is valid until", check.stdout)
        self.start("agent", [binary("pantau-agent"), "--config", config])
        site = wait_for(lambda: (s := self.site("ag-3273-0001"))[0] == 200 and
                        s[1].get("latest") and s[1], 30, "the enrolled agent's batch")
        self.assertEqual((site["regency"], site["site"]), ("32.73", "SMPN 2 Bandung"))
        # renewal with the current certificate
        renew = run(binary("pantau-agent"), "renew", "--config", config)
        self.assertEqual(renew.returncode, 0, renew.stderr)
        self.assertIn("renewed: agent ag-3273-0001 has a new certificate", renew.stderr)

    def test_agent_renews_by_itself(self):
        agent, config = self.enrolled("renewing")
        crt = os.path.join(self.state[agent], f"{agent}.crt")
        first = open(crt).read()
        # due at once: renew when fewer than 3650 days are left of its 365
        with open(config) as f:
            text = f.read().replace("[enrol]\n", "[enrol]\nrenew_days = 3650\n")
        with open(config, "w") as f:
            f.write(text)
        agent_proc = self.start("agent", [binary("pantau-agent"), "--config", config])
        wait_for(lambda: f"renewed {agent}" in self.collector.output(), 30,
                 "the agent's own renewal")
        wait_for(lambda: open(crt).read() != first, 10, "the new certificate on disk")
        wait_for(lambda: "certificate renewal checked" in agent_proc.output(), 10,
                 "the agent to see its renewal done")
        self.assertEqual(run("openssl", "verify", "-CAfile", f"{self.ca_dir}/ca.crt",
                             crt).returncode, 0)

    def test_used_expired_wrong_tokens_refused(self):
        token = self.token()
        config = self.base_config("first")
        self.assertEqual(self.enrol(token, config).returncode, 0)
        again = self.base_config("second")
        before = open(again).read()
        out = self.enrol(token, again, lang="id")
        self.assertEqual(out.returncode, 1)
        self.assertIn("token ini sudah dipakai", out.stderr)
        self.assertIn("-> minta token baru", out.stderr)
        self.assertEqual(open(again).read(), before, "a failed enrolment leaves the config")
        self.assertEqual(os.listdir(os.path.join(self.workdir, "state-second")), [],
                         "no key or certificate left behind")
        wrong = token[:-4] + ("0000" if not token.endswith("0000") else "1111")
        out = self.enrol(wrong, again)
        self.assertIn("the collector does not know this token", out.stderr)
        out = self.enrol("pe_1_xyz", again)
        self.assertIn("this is not an enrolment token", out.stderr)
        short = self.token("Short", "--expires", "1s", "--no-qr")

        def expired():
            r = self.request("/api/v1/enrol", {"token": short, "csr": "x"})
            return r[0] == 410 and r[1]
        self.assertEqual(wait_for(expired, 10, "the token to expire")["reason"],
                         "token_expired")
        out = self.enrol(short, again)
        self.assertIn("this token has expired", out.stderr)
        self.assertIn("-> ask your coordinator for a new token", out.stderr)
        self.assertEqual(open(again).read(), before)
        out = run(binary("pantau-agent"), "enrol", self.token("Down", "--no-qr"),
                  "--collector", f"https://127.0.0.1:{free_port()}", "--config", again)
        self.assertIn("cannot reach the collector", out.stderr)
        self.assertIn("the token is still good", out.stderr)

    def test_full_disk_found_before_the_token_is_used(self):
        """The state folder on a 16 KiB tmpfs (root only): enrol says the disk
        is full before it sends anything, the config is as it was, and the
        token still enrols once there is room."""
        if os.geteuid() != 0:
            self.skipTest("mounting a small tmpfs needs root")
        full = os.path.join(self.workdir, "state-full")
        os.makedirs(full)
        if run("mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", full).returncode != 0:
            self.skipTest("cannot mount a tmpfs here")
        self.addCleanup(run, "umount", full)
        with open(os.path.join(full, "filler"), "wb") as f:      # what fits, taken
            try:
                f.write(b"x" * 65536)
            except OSError:
                pass
        config = self.base_config("full")
        before = open(config).read()
        token = self.token("Full", "--no-qr")
        out = self.enrol(token, config, lang="id")
        self.assertEqual(out.returncode, 1, out.stderr)
        self.assertIn("disk penuh", out.stderr)
        self.assertIn("token masih berlaku", out.stderr)
        self.assertEqual(open(config).read(), before)
        self.assertEqual(sorted(os.listdir(full)), ["filler"])
        os.unlink(os.path.join(full, "filler"))
        out = self.enrol(token, config)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("enrolled: this box is agent", out.stderr)

    def test_revoked_refused_after_reload(self):
        agent, _ = self.enrolled("lost")
        topic = f"pantau/v1/32/3273/{agent}/status"
        pub = [MOSQUITTO_PUB, *self.files(agent), "-V", "5", "-q", "1", "-t", topic, "-m", "{}"]
        self.assertEqual(run(*pub).returncode, 0)
        out = run(binary("pantau"), "enrol", "revoke", agent, "--db", self.db, "--ca-dir",
                  self.ca_dir, "--crl", self.crl)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("reload the broker", out.stderr)
        serials = run("openssl", "crl", "-in", self.crl, "-noout", "-text").stdout
        self.assertIn("Serial Number", serials)
        listed = run(binary("pantau"), "enrol", "list", "--db", self.db).stdout
        line = [x for x in listed.splitlines() if x.startswith(agent)][0]
        self.assertRegex(line, r"Site lost +used +- +20[0-9-]+T")   # no valid one, revoked
        self.broker.signal(signal.SIGHUP)
        wait_for(lambda: run(*pub).returncode != 0, 10, "the broker to refuse the certificate")
        self.assertTrue(self.broker.alive(), "reloaded, not restarted")
        # renewal with a revoked certificate is refused too
        status, body = self.request("/api/v1/enrol/renew", {
            "cert": open(os.path.join(self.state[agent], f"{agent}.crt")).read(), "csr": "x"})
        self.assertEqual((status, body["reason"]), (401, "cert_revoked"))

    def api_token(self, role):
        out = run(binary("pantau"), "token", "new", "--role", role, "--db", self.db)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout.strip()

    def test_coordinator_tokens_and_revocation_through_the_api(self):
        """POST /api/v1/enrol/tokens and /revoke with an admin token only; the broker,
        signalled through its pid file, refuses the revoked agent without a restart."""
        self.collector.stop()
        cfg, _ = self.collector_config(
            self.plain_port, self.api_port, api__tls_cert=self.pki["server.pem"],
            api__tls_key=self.pki["server.key"], api__auth="on", enrol__ca_dir=self.ca_dir,
            enrol__broker_host="127.0.0.1", enrol__broker_port=self.tls_port,
            enrol__broker_cafile=self.pki["ca.pem"], enrol__broker_crl=self.crl,
            enrol__broker_pidfile=os.path.join(self.workdir, "mosquitto.pid"))
        self.collector = self.start_collector(cfg)
        wait_for(lambda: self.get("/healthz")[0] == 200 or not self.collector.alive(), 15,
                 "the collector with tokens asked for")
        admin, read = self.api_token("admin"), self.api_token("read")
        ask = {"region": "32.73", "site": "SD Inpres 3 Wamena"}
        for bearer, want in ((None, 401), ("pt_1_" + "0" * 64, 401), (read, 403)):
            self.bearer = bearer
            with self.subTest(bearer=bearer and bearer[:6]):
                self.assertEqual(self.request("/api/v1/enrol/tokens", ask)[0], want)
                self.assertEqual(self.request("/api/v1/enrol/revoke", {"agent": "ag-x"})[0],
                                 want)
        self.bearer = admin
        self.assertEqual(self.request("/api/v1/enrol/tokens", {"region": "32.7"})[1]["reason"],
                         "bad_request")
        status, made = self.request("/api/v1/enrol/tokens", ask)
        self.assertEqual(status, 201, made)
        self.assertRegex(made["token"], r"^pe_[1-9][0-9]*_[0-9a-f]{32}$")
        self.assertEqual((made["region"], made["site"]), ("32.73", ask["site"]))
        config = self.base_config("api")
        out = self.enrol(made["token"], config)
        self.assertEqual(out.returncode, 0, out.stderr)
        agent = made["agent"]
        self.assertIn(f"agent {agent},", out.stderr)
        self.state[agent] = os.path.join(self.workdir, "state-api")
        topic = f"pantau/v1/32/3273/{agent}/status"
        pub = [MOSQUITTO_PUB, *self.files(agent), "-V", "5", "-q", "1", "-t", topic, "-m", "{}"]
        self.assertEqual(run(*pub).returncode, 0, "enrolled: the broker takes it")
        broker_pid = self.broker.pid
        status, done = self.request("/api/v1/enrol/revoke", {"agent": agent})
        self.assertEqual(status, 200, done)
        self.assertEqual((done["certificates"], done["broker_reloaded"]), (1, True))
        wait_for(lambda: run(*pub).returncode != 0, 10, "the broker to refuse the certificate")
        self.assertEqual(self.broker.pid, broker_pid, "reloaded, not restarted")
        self.assertTrue(self.broker.alive())
        status, again = self.request("/api/v1/enrol/revoke", {"agent": agent})
        self.assertEqual((status, again["reason"]), (404, "not_found"))

    def test_expired_certificate_refused(self):
        """A certificate of the client CA whose validity ended (made here with
        openssl ca, the CA's key and a past validity) connects to nothing and
        renews nothing."""
        d = self.workdir
        with open(f"{d}/ca.cnf", "w") as f:
            f.write(f"[ca]\ndefault_ca = c\n[c]\ndatabase = {d}/index.txt\n"
                    f"new_certs_dir = {d}\ncertificate = {self.ca_dir}/ca.crt\n"
                    f"private_key = {self.ca_dir}/ca.key\ndefault_md = sha256\n"
                    f"serial = {d}/serial\nunique_subject = no\npolicy = p\n"
                    "[p]\ncommonName = supplied\n")
        open(f"{d}/index.txt", "w").close()
        with open(f"{d}/serial", "w") as f:
            f.write("01\n")
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-subj", "/CN=ag-3273-0001", "-keyout", "old.key", "-out", "old.csr", cwd=d)
        openssl("ca", "-batch", "-config", "ca.cnf", "-in", "old.csr", "-out", "old.crt",
                "-notext", "-startdate", "20200101000000Z", "-enddate", "20200201000000Z",
                cwd=d)
        out = run(MOSQUITTO_PUB, *self.client(f"{d}/old.crt", f"{d}/old.key"), "-q", "1",
                  "-t", "pantau/v1/32/3273/ag-3273-0001/result", "-m", "{}")
        self.assertNotEqual(out.returncode, 0, "an expired certificate connected")
        # the same made valid today connects: it is the date that is refused
        openssl("ca", "-batch", "-config", "ca.cnf", "-in", "old.csr", "-out", "now.crt",
                "-notext", "-days", "1", cwd=d)
        out = run(MOSQUITTO_PUB, *self.client(f"{d}/now.crt", f"{d}/old.key"), "-q", "1",
                  "-t", "pantau/v1/32/3273/ag-3273-0001/result", "-m", "{}")
        self.assertEqual(out.returncode, 0, out.stderr)
        status, body = self.request("/api/v1/enrol/renew", {"cert": open(f"{d}/old.crt").read(),
                                                            "csr": open(f"{d}/old.csr").read()})
        self.assertEqual((status, body["reason"]), (401, "cert_expired"))
        # pantau-agent check says what is wrong with each: expired, or a box clock
        # behind the certificate's start (one valid from 2099 stands for that)
        openssl("ca", "-batch", "-config", "ca.cnf", "-in", "old.csr", "-out", "future.crt",
                "-notext", "-startdate", "20990101000000Z", "-enddate", "21000101000000Z",
                cwd=d)
        for crt, says in (("old.crt", "[FAIL] the certificate expired on 2020-02-01"),
                          ("future.crt", "but its certificate is valid only from 2099-01-01")):
            config = self.agent_config(crt, self.tls_port, "ag-3273-0001", "32.73", {
                "lo": {"type": "tcp", "target": f"127.0.0.1:{self.tls_port}"}},
                broker__tls="true", broker__cafile=self.pki["ca.pem"],
                broker__certfile=f"{d}/{crt}", broker__keyfile=f"{d}/old.key",
                broker__connect_timeout=5)
            out = run(binary("pantau-agent"), "check", "--config", config, "--catalog",
                      CATALOG_DIR, "--lang", "en")
            self.assertEqual(out.returncode, 1, out.stdout)
            self.assertIn(says, out.stdout)

    def test_foreign_ca_refused(self):
        d = self.workdir
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-days", "2", "-subj", "/CN=ag-3273-0001", "-keyout", "f.key",
                "-out", "f.crt", cwd=d)
        out = run(MOSQUITTO_PUB, *self.client(f"{d}/f.crt", f"{d}/f.key"), "-q", "1",
                  "-t", "pantau/v1/32/3273/ag-3273-0001/result", "-m", "{}")
        self.assertNotEqual(out.returncode, 0)
        self.assertNotIn("Unknown option", out.stderr)
        # the same with this CA's certificate connects
        agent, _ = self.enrolled("own")
        out = run(MOSQUITTO_PUB, *self.files(agent), "-q", "1", "-t",
                  f"pantau/v1/32/3273/{agent}/result", "-m", "{}")
        self.assertEqual(out.returncode, 0, out.stderr)

    def test_agent_writes_its_own_leaves(self):
        """pantau.acl lets an agent write each of its own topics, the reply of
        a replay command (gone) among them."""
        a, _ = self.enrolled("leaves")
        for leaf in ("result", "status", "reply", "check"):
            out = run(MOSQUITTO_PUB, *self.files(a), "-V", "5", "-q", "1", "-t",
                      f"pantau/v1/32/3273/{a}/{leaf}", "-m", "{}")
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertNotIn("Not authorized", out.stderr, leaf)

    def test_agent_a_cannot_be_agent_b(self):
        a, _ = self.enrolled("a")
        b, config_b = self.enrolled("b")
        self.start("agent-b", [binary("pantau-agent"), "--config", config_b])
        stored = wait_for(lambda: (s := self.site(b))[0] == 200 and s[1].get("latest") and s[1],
                          30, "B's batch")
        boot = stored["boot"]
        fake = json.dumps({"v": 1, "agent": b, "boot": boot + 100, "seq": 1,
                           "ts": "2029-01-01T00:00:00.000Z", "results": []})
        for topic, payload in ((f"pantau/v1/32/3273/{b}/result", fake),
                               (f"pantau/v1/32/3273/{b}/status", '{"state":"offline"}'),
                               (f"pantau/v1/32/3273/{a}/other", "{}"),      # not a leaf of A's
                               ("pantau/v1/mode", '{"mode":"normal"}'),
                               (f"pantau/v1/cmd/{b}", "{}")):
            out = run(MOSQUITTO_PUB, *self.files(a), "-V", "5", "-q", "1", "-t", topic,
                      "-m", payload)
            self.assertIn("Not authorized", out.stderr, topic)
        # a fake last will on B's status topic: never delivered. A's connection
        # with it is cut first, then one with A's own will, which arrives.
        watch = self.sub("watch", ["-h", "127.0.0.1", "-p", str(self.plain_port), "-V", "5",
                                   "-d", "-v", "-t", "pantau/v1/32/3273/+/status"])
        wait_for(lambda: "Subscribed" in watch.output(), 10, "the status watch")
        wills = []
        for owner in (b, a):
            p = self.sub(f"will-{owner}", [
                *self.files(a), "-V", "5", "-d", "-t", f"pantau/v1/cmd/{a}",
                "--will-topic", f"pantau/v1/32/3273/{owner}/status", "--will-payload",
                f'{{"state":"offline","fake":"{owner}"}}'])
            wait_for(lambda p=p: "Subscribed" in p.output(), 10, "A connected with a will")
            wills.append(p)
        for p in wills:
            p.kill()
        wait_for(lambda: f'"fake":"{a}"' in watch.output(), 10, "A's own will")
        self.assertNotIn(f'"fake":"{b}"', watch.output())
        site = self.site(b)[1]
        self.assertEqual(site["boot"], boot, "B's data untouched")
        self.assertNotEqual(site["status"], "OFFLINE")
        # A subscribed to B's cmd topic gets nothing of what B gets
        spy = self.sub("spy", [*self.files(a), "-V", "5", "-d", "-q", "1", "-t",
                               f"pantau/v1/cmd/{b}"])
        real = self.sub("real", [*self.files(b), "-V", "5", "-d", "-q", "1", "-t",
                                 f"pantau/v1/cmd/{b}"])
        wait_for(lambda: "Subscribed" in spy.output() and "Subscribed" in real.output(), 10,
                 "both subscriptions")

        def delivered():
            run(MOSQUITTO_PUB, "-h", "127.0.0.1", "-p", str(self.plain_port), "-q", "1", "-t",
                f"pantau/v1/cmd/{b}", "-m", "secret-cmd")
            return "secret-cmd" in real.output()
        wait_for(delivered, 10, "B's command to reach B")
        self.assertNotIn("secret-cmd", spy.output())
        for p in (watch, spy, real):
            p.kill()

    def test_token_made_while_the_collector_is_quiet(self):
        """After the collector's first retention run (which deletes nothing on a
        new database) no transaction of it holds the write lock: pantau enrol
        gets it at once, not after its 10 s wait."""
        wait_for(lambda: "retention: deleted" in self.collector.output(), 15,
                 "the first retention run")
        started = time.monotonic()
        self.token("Quiet", "--no-qr")
        self.assertLess(time.monotonic() - started, 5)

    def test_bulk_tokens_for_a_province(self):
        d = self.workdir
        with open(f"{d}/jabar.csv", "w") as f:
            f.write('region,site\n32.73,SMPN 2 Bandung\n32.73,"SD 1, Coblong"\n'
                    '32.04,"SMA ""Satu"""\n')
        sheet = f"{d}/jabar.html"
        out = run(binary("pantau"), "enrol", "bulk", f"{d}/jabar.csv", "--db", self.db,
                  "--sheet", sheet, "--collector", "https://pantau.example:8443")
        self.assertEqual(out.returncode, 0, out.stderr)
        rows = list(csv.DictReader(io.StringIO(out.stdout)))
        self.assert_sheet(sheet, rows)
        self.assertEqual([(r["region"], r["site"], r["agent"]) for r in rows], [
            ("32.73", "SMPN 2 Bandung", "ag-3273-0001"), ("32.73", "SD 1, Coblong", "ag-3273-0002"),
            ("32.04", 'SMA "Satu"', "ag-3204-0001")])
        config = self.base_config("coblong")
        enrolled = self.enrol(rows[1]["token"], config)
        self.assertIn('agent ag-3273-0002, site "SD 1, Coblong"', enrolled.stderr)
        # a bad line makes no token at all
        with open(f"{d}/bad.csv", "w") as f:
            f.write("32.73,SMP 3\n3273,SMP 4\n")
        out = run(binary("pantau"), "enrol", "bulk", f"{d}/bad.csv", "--db", self.db,
                  "--sheet", f"{d}/bad.html")
        self.assertEqual(out.returncode, 1)
        self.assertIn("bad.csv:2:", out.stderr)
        self.assertFalse(os.path.exists(f"{d}/bad.html"), "no sheet when no token was made")
        listed = run(binary("pantau"), "enrol", "list", "--db", self.db).stdout
        self.assertNotIn("SMP 3", listed)
        self.assertEqual(len(listed.splitlines()), 4)

    def assert_sheet(self, sheet, rows):
        """A card per site, whose QR code reads back as its token; private."""
        self.assertEqual(stat.S_IMODE(os.stat(sheet).st_mode), 0o600, "tokens are secrets")
        html = open(sheet, encoding="utf-8").read()
        cards = re.findall(r'<section class="card" data-agent="([^"]+)">(.*?)</section>', html,
                           re.S)
        self.assertEqual([a for a, _ in cards], [r["agent"] for r in rows])
        for (agent, card), row in zip(cards, rows):
            self.assertIn(row["token"], card)
            self.assertIn(row["site"].replace('"', "&quot;"), card)
            self.assertIn("--collector https://pantau.example:8443", card)
            self.assertIn("Sekali pakai", card)
            self.assertEqual(qr_decode(svg_rows(card)), row["token"], agent)

    def test_csr_naming_another_agent_refused(self):
        d = self.workdir
        token = self.token("Mine", "--no-qr")
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-subj", "/CN=ag-3273-0099", "-keyout", "o.key", "-out", "o.csr", cwd=d)
        status, body = self.request("/api/v1/enrol", {"token": token,
                                                      "csr": open(f"{d}/o.csr").read()})
        self.assertEqual((status, body["reason"]), (403, "csr_other_agent"))
        self.assertIn("names another agent", body["error"])
        # the token is still good for a request of its own
        config = self.base_config("mine")
        self.assertEqual(self.enrol(token, config).returncode, 0)


EnrolPgTest = on_postgresql(EnrolTest)
