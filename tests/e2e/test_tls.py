"""MQTT over TLS: an agent reaches the collector through a TLS listener, and
'pantau-agent check' says what is wrong when the CA does not match."""
import os
import subprocess

from harness import CATALOG_DIR, E2ETestCase, binary, http_json, wait_for


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_pki(d, name):
    """A CA and a server certificate for 127.0.0.1 signed by it."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", f"/CN={name} test CA", "-keyout", f"{name}-ca.key",
            "-out", f"{name}-ca.pem", cwd=d)
    openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
            "-keyout", f"{name}-server.key", "-out", f"{name}-server.csr", cwd=d)
    with open(os.path.join(d, f"{name}-san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", f"{name}-server.csr", "-CA", f"{name}-ca.pem",
            "-CAkey", f"{name}-ca.key", "-CAcreateserial", "-days", "2",
            "-extfile", f"{name}-san.ext", "-out", f"{name}-server.pem", cwd=d)
    files = {k: os.path.join(d, f"{name}-{k}") for k in ("ca.pem", "server.pem", "server.key")}
    # mosquitto started as root drops to its own user: let it read this test-only key.
    os.chmod(files["server.key"], 0o644)
    return files


class TlsTest(E2ETestCase):
    def setUp(self):
        super().setUp()
        self.pki = make_pki(self.workdir, "good")
        self.other = make_pki(self.workdir, "other")
        self.broker = self.start_broker(
            f"cafile {self.pki['ca.pem']}\ncertfile {self.pki['server.pem']}\n"
            f"keyfile {self.pki['server.key']}\n")

    def agent_cfg(self, cafile, name="agent"):
        probes = {"lo": {"type": "tcp", "target": f"127.0.0.1:{self.broker.port}",
                         "timeout_ms": 2000}}
        return self.agent_config(name, self.broker.port, "ag-3273-0700", "32.73", probes,
                                 broker__tls="true", broker__cafile=cafile,
                                 broker__connect_timeout=5)

    def test_agent_and_collector_over_tls(self):
        cfg, api_port = self.collector_config(self.broker.port, broker__tls="true",
                                              broker__cafile=self.pki["ca.pem"])
        collector = self.start_collector(cfg)
        self.wait_api(api_port, collector)
        self.start("agent", [binary("pantau-agent"), "--config",
                             self.agent_cfg(self.pki["ca.pem"])])
        api = f"http://127.0.0.1:{api_port}"
        site = wait_for(lambda: (s := http_json(f"{api}/api/v1/sites/ag-3273-0700"))[0] == 200
                        and s[1]["status"] == "OK" and s[1], 30, "results over TLS")
        self.assertTrue(site["latest"][0]["ok"])

    def test_check_reports_a_wrong_ca(self):
        out = subprocess.run([binary("pantau-agent"), "check", "--config",
                              self.agent_cfg(self.other["ca.pem"]), "--catalog", CATALOG_DIR],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 1, out.stdout)
        self.assertIn("[FAIL] secure connection to the broker failed", out.stdout)
        self.assertIn("-> check [broker] cafile", out.stdout)

    def test_check_passes_with_the_right_ca(self):
        out = subprocess.run([binary("pantau-agent"), "check", "--config",
                              self.agent_cfg(self.pki["ca.pem"]), "--catalog", CATALOG_DIR],
                             capture_output=True, text=True, timeout=60)
        self.assertIn(f"[ OK ] broker 127.0.0.1:{self.broker.port} accepted user ag-3273-0700",
                      out.stdout)
        self.assertEqual(out.returncode, 0, out.stdout)
