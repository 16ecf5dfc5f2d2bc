"""Who asks the API (docs/api.md, "Authentication"), with the real
collector: no token, a wrong, an expired and a revoked token are 401; a
read token on an admin route is 403; an admin token lists and revokes
tokens; the dashboard's files and /healthz stay open; the CLI with
--token and PANTAU_TOKEN. Beyond loopback: HTTPS only, with a test CA made
here with the openssl command line, and plain HTTP is a config error that
names the file, the line and the key. Hashing and the constant-time
compare are tests/unit/test_tokens.c."""
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import urllib.error
import urllib.request

from harness import on_postgresql, CATALOG_DIR, ROOT, E2ETestCase, binary, free_port, wait_for, write_ini


def request(url, token=None, method="GET", context=None):
    """(status, headers, parsed JSON or text) of one request."""
    req = urllib.request.Request(url, method=method)
    if token is not None:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=5, context=context) as r:
            body, status, headers = r.read().decode(), r.status, r.headers
    except urllib.error.HTTPError as e:
        body, status, headers = e.read().decode(), e.code, e.headers
    try:
        return status, headers, json.loads(body)
    except ValueError:
        return status, headers, body


def pantau(*args, env=None):
    return subprocess.run([binary("pantau"), *args], capture_output=True, text=True, timeout=30,
                          env={"PATH": "/usr/bin:/bin", "NO_COLOR": "", **(env or {})})


class TokenMixin:
    def token(self, role, *extra):
        """A new token made in the collector's database; (id, text)."""
        out = pantau("token", "new", "--role", role, *extra, "--db", self.db)
        self.assertEqual(out.returncode, 0, out.stderr)
        text = out.stdout.strip()
        self.assertRegex(text, r"^pt_[1-9][0-9]*_[0-9a-f]{64}$")
        return int(text.split("_")[1]), text


class AuthTest(TokenMixin, E2ETestCase):
    """Tokens asked for on loopback ([api] auth on), over plain HTTP."""

    def setUp(self):
        super().setUp()
        broker = self.start_broker()
        cfg, port = self.collector_config(broker.port, api__auth="on")
        self.db = self.store_url or os.path.join(self.workdir, "pantau.db")
        self.wait_api(port, self.start_collector(cfg))   # /healthz needs no token
        self.api = f"http://127.0.0.1:{port}"

    def test_no_token(self):
        for path in ("/api/v1/regions", "/api/v1/sites/ag-1", "/metrics", "/api/v1/tokens"):
            with self.subTest(path=path):
                status, headers, body = request(self.api + path)
                self.assertEqual(status, 401)
                self.assertEqual(headers["WWW-Authenticate"], 'Bearer realm="pantau"')
                self.assertIn("Authorization: Bearer TOKEN", body["error"])
        # another scheme is no token either
        req = urllib.request.Request(self.api + "/api/v1/regions",
                                     headers={"Authorization": "Basic YWRtaW46YWRtaW4="})
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=5)
        self.assertEqual(e.exception.code, 401)
        # open: liveness and the dashboard's files (its login page)
        self.assertEqual(request(self.api + "/healthz")[0], 200)
        status, _, page = request(self.api + "/")
        self.assertEqual(status, 200)
        self.assertIn("<html", page.lower())

    def test_wrong_token(self):
        _, good = self.token("read")
        wrong_secret = good[:-1] + ("0" if good[-1] != "0" else "1")
        other_id = re.sub(r"^pt_\d+_", "pt_999_", good)
        for tok, words in (("hunter2", "not a pantau token"),
                           (wrong_secret, "not known to this collector"),
                           (other_id, "not known to this collector")):
            with self.subTest(token=tok[:12]):
                status, headers, body = request(self.api + "/api/v1/regions", tok)
                self.assertEqual(status, 401)
                self.assertIn('error="invalid_token"', headers["WWW-Authenticate"])
                self.assertIn(words, body["error"])
                self.assertNotIn(tok, body["error"])
        self.assertEqual(request(self.api + "/api/v1/regions", good)[0], 200)

    def test_expired(self):
        _, tok = self.token("read", "--expires", "2s")
        # valid now (the collector judges expiry at each request), refused once expired
        self.assertEqual(request(self.api + "/api/v1/regions", tok)[0], 200)
        wait_for(lambda: request(self.api + "/api/v1/regions", tok)[0] == 401, 15,
                 "the token to expire")
        self.assertIn("expired", request(self.api + "/api/v1/regions", tok)[2]["error"])

    def test_revoked_by_cli(self):
        tid, tok = self.token("read", "--name", "lost laptop")
        self.assertEqual(request(self.api + "/api/v1/overview", tok)[0], 200)
        out = pantau("token", "revoke", str(tid), "--db", self.db)
        self.assertEqual(out.returncode, 0, out.stderr)
        wait_for(lambda: request(self.api + "/api/v1/overview", tok)[0] == 401, 10,
                 "the revoked token to be refused")
        self.assertIn("revoked", request(self.api + "/api/v1/overview", tok)[2]["error"])
        again = pantau("token", "revoke", str(tid), "--db", self.db)
        self.assertEqual(again.returncode, 1)
        self.assertIn("revoked already", again.stderr)
        listed = json.loads(pantau("token", "list", "--json", "--db", self.db).stdout)
        self.assertEqual([(t["id"], t["name"], t["revoked"] is not None)
                          for t in listed["tokens"]], [(tid, "lost laptop", True)])

    def test_roles(self):
        _, read = self.token("read", "--name", "grafana")
        admin_id, admin = self.token("admin", "--name", "ops")
        # read: every read route; admin routes are 403
        for path in ("/api/v1/regions", "/api/v1/stats", "/metrics"):
            self.assertEqual(request(self.api + path, read)[0], 200, path)
        status, headers, body = request(self.api + "/api/v1/tokens", read)
        self.assertEqual(status, 403)
        self.assertIn('error="insufficient_scope"', headers["WWW-Authenticate"])
        self.assertIn("admin token", body["error"])
        self.assertEqual(request(self.api + f"/api/v1/tokens/{admin_id}", read, "DELETE")[0],
                         403)
        # admin: reads too, lists the tokens (no hash, no secret) and revokes one
        self.assertEqual(request(self.api + "/api/v1/regions", admin)[0], 200)
        status, _, listed = request(self.api + "/api/v1/tokens", admin)
        self.assertEqual(status, 200)
        self.assertEqual([(t["name"], t["role"]) for t in listed["tokens"]],
                         [("grafana", "read"), ("ops", "admin")])
        self.assertNotIn("hash", listed["tokens"][0])
        self.assertNotIn(read.split("_")[2], json.dumps(listed))
        read_id = listed["tokens"][0]["id"]
        status, _, body = request(self.api + f"/api/v1/tokens/{read_id}", admin, "DELETE")
        self.assertEqual((status, body), (200, {"id": read_id, "revoked": True}))
        self.assertEqual(request(self.api + "/api/v1/regions", read)[0], 401)   # at once
        self.assertEqual(request(self.api + f"/api/v1/tokens/{read_id}", admin, "DELETE")[0],
                         409)
        self.assertEqual(request(self.api + "/api/v1/tokens/77", admin, "DELETE")[0], 404)
        self.assertEqual(request(self.api + "/api/v1/tokens/x", admin, "DELETE")[0], 400)
        status, headers, _ = request(self.api + "/api/v1/tokens", admin, "DELETE")
        self.assertEqual((status, headers["Allow"]), (405, "GET, HEAD"))
        status, headers, _ = request(self.api + "/api/v1/tokens/1", admin)
        self.assertEqual((status, headers["Allow"]), (405, "DELETE"))

    def test_cli_token(self):
        _, tok = self.token("read")
        out = pantau("summary", "--url", self.api)
        self.assertEqual(out.returncode, 1)
        self.assertIn("--token or PANTAU_TOKEN", out.stderr)
        out = pantau("summary", "--url", self.api, "--token", tok)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("no regency has a known site yet", out.stdout)
        out = pantau("regions", "--json", "--url", self.api, env={"PANTAU_TOKEN": tok})
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("regions", json.loads(out.stdout))
        out = pantau("summary", "--url", self.api, "--token", tok + "0")
        self.assertEqual(out.returncode, 1)
        self.assertIn("not a pantau token", out.stderr)

    def test_dashboard_login(self):
        chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
        if not os.access(chromium, os.X_OK):
            self.skipTest(f"no Chromium at {chromium}: install Debian's chromium (make deps)")
        if not os.path.isdir(os.path.join(ROOT, "node_modules", "playwright-core")) or \
                shutil.which("node") is None:
            self.skipTest("playwright-core is not installed: run 'make deps'")
        _, tok = self.token("read", "--name", "dashboard")
        drv = subprocess.run(["node", os.path.join(ROOT, "tests", "e2e", "login_browser.mjs"),
                              self.api + "/", tok, "pt_1_" + "0" * 64],
                             capture_output=True, text=True, timeout=120,
                             env=dict(os.environ, CHROMIUM=chromium))
        self.assertEqual(drv.returncode, 0, drv.stderr)
        got = json.loads(drv.stdout.splitlines()[-1])
        self.assertEqual(got["errors"], [])
        self.assertEqual(got["first"], "This collector asks for a token.")
        self.assertFalse(got["error_shown"])     # a login, not "cannot read the collector"
        self.assertIn("The token was refused: the token is not known", got["refused"])
        self.assertEqual(got["kept"], tok)       # sessionStorage, this tab only
        self.assertTrue(got["bearer_sent"])
        self.assertTrue(got["after_reload"])
        self.assertTrue(got["signout_visible"])
        self.assertIsNone(got["after_signout"])


def make_ca(workdir):
    """A throwaway CA and a server certificate for 127.0.0.1 signed by it."""
    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=workdir)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "2", "-subj", "/CN=pantau test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1")
    with open(os.path.join(workdir, "san.ext"), "w") as f:
        f.write("subjectAltName = IP:127.0.0.1\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.ext")
    return {n: os.path.join(workdir, n) for n in ("ca.pem", "server.pem", "server.key")}


class HttpsTest(TokenMixin, E2ETestCase):
    """Bound beyond loopback (0.0.0.0): HTTPS only, tokens always ([api] auth auto)."""

    def setUp(self):
        super().setUp()
        self.files = make_ca(self.workdir)
        broker = self.start_broker()
        self.port = free_port()
        cfg, _ = self.collector_config(broker.port, self.port, api__listen="0.0.0.0",
                                       api__tls_cert=self.files["server.pem"],
                                       api__tls_key=self.files["server.key"])
        self.db = os.path.join(self.workdir, "pantau.db")
        self.ctx = ssl.create_default_context(cafile=self.files["ca.pem"])
        self.api = f"https://127.0.0.1:{self.port}"
        proc = self.start_collector(cfg)

        def up():
            if not proc.alive():
                raise AssertionError("collector exited:\n" + proc.output())
            return request(self.api + "/healthz", context=self.ctx)[0] == 200
        wait_for(up, 15, "the collector's HTTPS API")

    def test_https_and_tokens(self):
        self.assertEqual(request(self.api + "/api/v1/regions", context=self.ctx)[0], 401)
        _, tok = self.token("read")
        self.assertEqual(request(self.api + "/api/v1/regions", tok, context=self.ctx)[0], 200)
        # plain HTTP on the same port gets no HTTP reply
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            try:
                got = s.recv(4096)
            except ConnectionResetError:
                got = b""
        self.assertFalse(got.startswith(b"HTTP/"), got[:40])
        # a client that does not know the CA refuses the certificate
        with self.assertRaises(urllib.error.URLError):
            request(self.api + "/healthz", context=ssl.create_default_context())

    def test_cli_cacert(self):
        _, tok = self.token("read")
        out = pantau("summary", "--url", self.api, "--token", tok, "--cacert",
                     self.files["ca.pem"])
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("no regency has a known site yet", out.stdout)
        out = pantau("summary", "--url", self.api, "--cacert", self.files["ca.pem"],
                     env={"PANTAU_TOKEN": tok})
        self.assertEqual(out.returncode, 0, out.stderr)
        out = pantau("summary", "--url", self.api, "--token", tok)   # the system's CAs
        self.assertEqual(out.returncode, 1)
        self.assertIn("cannot reach the collector", out.stderr)


class ExposureConfigTest(E2ETestCase):
    """What a listen beyond loopback refuses, in --check's words and a start's."""

    def check(self, api):
        path = write_ini(os.path.join(self.workdir, "collector.ini"), {
            "collector": {"database": os.path.join(self.workdir, "pantau.db"),
                          "catalog_dir": CATALOG_DIR},
            "api": api})
        return path, subprocess.run([binary("pantau-collector"), "--config", path, "--check"],
                                    capture_output=True, text=True, timeout=30)

    def test_plaintext_refused(self):
        path, out = self.check({"port": free_port(), "listen": "0.0.0.0"})
        self.assertNotEqual(out.returncode, 0)
        self.assertIn(f"{path}:7: [api] listen 0.0.0.0 is reachable from the network, where "
                      "the API serves HTTPS only: set [api] tls_cert and tls_key", out.stderr)
        # and a start says the same, without binding
        start = subprocess.run([binary("pantau-collector"), "--config", path],
                               capture_output=True, text=True, timeout=30)
        self.assertNotEqual(start.returncode, 0)
        self.assertIn("serves HTTPS only", start.stderr)

    def test_auth_off_and_half_tls_refused(self):
        files = make_ca(self.workdir)
        path, out = self.check({"listen": "0.0.0.0", "auth": "off",
                                "tls_cert": files["server.pem"], "tls_key": files["server.key"]})
        self.assertNotEqual(out.returncode, 0)
        self.assertIn(f"{path}:7: [api] auth off is for loopback only", out.stderr)
        path, out = self.check({"tls_cert": files["server.pem"]})
        self.assertNotEqual(out.returncode, 0)
        self.assertIn(f"{path}:6: [api] tls_cert: HTTPS needs the certificate and its private "
                      "key; set [api] tls_key too", out.stderr)
        # loopback with auth off and no TLS is the demo's and the tests' setup
        path, out = self.check({"listen": "127.0.0.1", "auth": "off"})
        self.assertEqual(out.returncode, 0, out.stderr)


AuthPgTest = on_postgresql(AuthTest)
