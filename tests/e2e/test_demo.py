"""make demo as a new user runs it (deploy/demo/demo.py; README, docs/deployment.md).

The demo is secure as deployed (issue 14): a throwaway client CA, every real
agent enrolled through the real path and connected with its own certificate
to a TLS listener that requires one and applies the shipped ACL; plaintext
only on the collector's loopback listener. `--once` waits for every site to
report and exits 1 when one did not.
"""
import os
import re
import subprocess
import sys

from harness import BUILD, ROOT, E2ETestCase

DEMO = os.path.join(ROOT, "deploy", "demo", "demo.py")
sys.path.insert(0, os.path.dirname(DEMO))
import demo  # noqa: E402  (its SITES: the real agents it starts)

RUN_ALONE = True   # tests/run.py --jobs: the demo starts its whole stack on both cores


def ini_value(text, section, key):
    m = re.search(rf"(?ms)^\[{re.escape(section)}\]$(.*?)(?=^\[|\Z)", text)
    kv = re.search(rf"(?m)^{re.escape(key)} = (.*)$", m.group(1)) if m else None
    return kv.group(1).strip() if kv else None


class DemoTest(E2ETestCase):
    def test_demo_enrols_its_agents_and_runs_secure(self):
        var = os.path.join(self.workdir, "demo")
        p = subprocess.run([sys.executable, DEMO, "--once", "--build", BUILD, "--var", var],
                           capture_output=True, text=True, timeout=180, cwd=ROOT)
        self.assertEqual(p.returncode, 0, p.stdout[-3000:] + p.stderr[-3000:])
        self.assertRegex(p.stdout, r"(?m)^dashboard: http://127\.0\.0\.1:\d+/$")
        self.assertRegex(p.stdout, r"sites: .*OK")
        conf = open(os.path.join(var, "mosquitto.conf")).read()
        tls_port = int(re.search(r"mqtts://127\.0\.0\.1:(\d+)", p.stdout).group(1))
        broker_log = open(os.path.join(var, "mosquitto.log")).read()
        for site in demo.SITES:
            agent = site[0]
            text = open(os.path.join(var, f"{agent}.ini")).read()
            self.assertEqual(ini_value(text, "broker", "port"), str(tls_port), agent)
            self.assertIsNone(ini_value(text, "broker", "password"), agent)
            crt = ini_value(text, "broker", "certfile")
            self.assertTrue(crt and os.path.exists(crt), f"{agent} has no certificate")
            subj = subprocess.run(["openssl", "x509", "-in", crt, "-noout", "-subject"],
                                  capture_output=True, text=True).stdout
            self.assertIn(f"CN = {agent}", subj)
            verify = subprocess.run(["openssl", "verify", "-CAfile",
                                     os.path.join(var, "ca", "ca.crt"), crt],
                                    capture_output=True, text=True)
            self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)
            # connected to the broker under the identity of its certificate
            self.assertRegex(broker_log, rf"as {agent} \(.*u'{agent}'\)")
        log = open(os.path.join(var, "collector.log")).read()
        self.assertIn("enrol: enrolled", log)
        # the agents' listener: certificates required, no anonymous clients, the
        # ACL and CRL applied to it (per_listener_settings: they follow it)
        self.assertIn("per_listener_settings true", conf)
        tls_block = conf[conf.index(f"listener {tls_port} "):]
        for line in ("require_certificate true", "use_identity_as_username true",
                     "acl_file", "crlfile"):
            self.assertIn(line, tls_block)
        self.assertNotIn("allow_anonymous true", tls_block)

if __name__ == "__main__":
    import unittest
    unittest.main()
