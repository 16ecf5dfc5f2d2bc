"""One broker config: deploy/mosquitto/pantau.conf loads on Debian's stock
mosquitto layout, and the brokers of the demo and the tests queue as it says,
so a burst while the collector is away loses nothing."""
import json
import os
import shutil
import sqlite3
import subprocess

from harness import (CATALOG_DIR, MOSQUITTO, ROOT, E2ETestCase, binary, brokerconf, free_port,
                     port_open, wait_for, wait_subscribed)
from test_tls import make_pki

DEPLOY = os.path.join(ROOT, "deploy", "mosquitto")


class DeployConfTest(E2ETestCase):

    def test_pantau_conf_loads_from_debians_conf_d(self):
        """/etc/mosquitto/mosquitto.conf as Debian ships it (persistence,
        persistence_location, include_dir) with pantau.conf in conf.d/: the
        broker starts and listens on both of its listeners."""
        d = self.workdir
        os.makedirs(os.path.join(d, "conf.d"))
        pki = make_pki(d, "deploy")
        ca = os.path.join(d, "client-ca")        # pantau's client CA and its CRL
        subprocess.run([binary("pantau"), "ca", "init", "--dir", ca], check=True,
                       capture_output=True, timeout=30)
        passwd = os.path.join(d, "pantau.passwd")
        subprocess.run(["mosquitto_passwd", "-b", "-c", passwd, "pantau-collector", "pw"],
                       check=True, capture_output=True, timeout=30)
        os.chmod(passwd, 0o644)
        tls_port, local_port = free_port(), free_port()
        with open(os.path.join(DEPLOY, "pantau.conf")) as f:
            text = f.read()
        for old, new in (("listener 8883", f"listener {tls_port} 127.0.0.1"),
                         ("listener 1883 127.0.0.1", f"listener {local_port} 127.0.0.1"),
                         ("/etc/mosquitto/certs/server.crt", pki["server.pem"]),
                         ("/etc/mosquitto/certs/server.key", pki["server.key"]),
                         ("/etc/mosquitto/certs/pantau-client-ca.crt", f"{ca}/ca.crt"),
                         ("/etc/mosquitto/certs/pantau-crl.pem", f"{ca}/crl.pem"),
                         ("/etc/mosquitto/pantau.passwd", passwd),
                         ("/etc/mosquitto/pantau.acl", os.path.join(DEPLOY, "pantau.acl")),
                         ("/usr/local/lib/pantau/pantau_limit.so", binary("pantau_limit.so"))):
            self.assertIn(old, text, "deploy/mosquitto/pantau.conf changed: update this test")
            text = text.replace(old, new)
        with open(os.path.join(d, "conf.d", "pantau.conf"), "w") as f:
            f.write(text)
        main = os.path.join(d, "mosquitto.conf")
        with open(main, "w") as f:
            f.write(f"persistence true\npersistence_location {d}/\nlog_dest stdout\n"
                    + ("user root\n" if os.geteuid() == 0 else "")
                    + f"include_dir {d}/conf.d\n")
        broker = self.start("mosquitto", [MOSQUITTO, "-c", main])
        wait_for(lambda: not broker.alive() or (port_open(tls_port) and port_open(local_port)),
                 10, "mosquitto with pantau.conf to listen")
        self.assertTrue(broker.alive(), broker.output())
        # Who can publish at all (docs/bench.md, "flood"): a client without
        # credentials on the local listener, or without a certificate on the
        # agents', is refused at connect; the collector's login is taken.
        pub = lambda *a: subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-q", "1", "-t",
                                         "pantau/v1/32/3273/x/status", "-m", "{}", *a],
                                        capture_output=True, text=True, timeout=30)
        anon = pub("-p", str(local_port))
        self.assertNotEqual(anon.returncode, 0, anon.stdout + anon.stderr)
        self.assertIn("not authorised", (anon.stdout + anon.stderr).lower())
        certless = pub("-p", str(tls_port), "--cafile", pki["ca.pem"])
        self.assertNotEqual(certless.returncode, 0, certless.stdout + certless.stderr)
        ok = pub("-p", str(local_port), "-u", "pantau-collector", "-P", "pw")
        self.assertEqual(ok.returncode, 0, ok.stderr)

    def test_local_brokers_take_the_deploy_settings(self):
        settings = brokerconf.queue_settings()
        self.assertEqual(settings["persistence"], "true")
        text = brokerconf.local_conf(1883, self.workdir)
        for key, value in settings.items():
            self.assertIn(f"\n{key} {value}\n", text)
        self.assertIn(f"persistence_location {self.workdir}/", text)

    def test_a_conf_without_the_settings_is_a_clear_error(self):
        bad = os.path.join(self.workdir, "bad.conf")
        with open(bad, "w") as f:
            f.write("listener 1883\nmax_queued_messages 10\n")
        with self.assertRaises(ValueError) as e:
            brokerconf.queue_settings(bad)
        self.assertIn("lacks persistence, autosave_interval", str(e.exception))


class BurstTest(E2ETestCase):
    """20,000 batches from 2,000 agents published while the collector is
    away (mosquitto's default queue of 1000 would drop 19,000 of them); when
    it is back every batch is stored."""

    BATCHES = 20000

    def test_burst_while_the_collector_is_away_is_stored_whole(self):
        broker = self.start_broker("max_connections -1\n")
        cfg, api_port = self.collector_config(broker.port, store__commit_ms=200)
        collector = self.start_collector(cfg)
        self.wait_api(api_port, collector)
        wait_subscribed(broker, f"http://127.0.0.1:{api_port}")
        collector.stop()           # its persistent session stays at the broker
        r = subprocess.run([binary("pantau-loadgen"), "--port", str(broker.port),
                            "--catalog", CATALOG_DIR, "--agents", "2000", "--connections", "20",
                            "--count", str(self.BATCHES)],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f'"acked":{self.BATCHES}', r.stdout)
        collector = self.start_collector(cfg)
        db = os.path.join(self.workdir, "pantau.db")

        def stored():
            if not collector.alive():
                raise AssertionError("collector exited:\n" + collector.output())
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
            try:
                return con.execute("SELECT count(*) FROM batches WHERE agent LIKE 'sim-%'"
                                   ).fetchone()[0]
            finally:
                con.close()
        wait_for(lambda: stored() >= self.BATCHES, 120, f"{self.BATCHES} batches stored")
        self.assertEqual(stored(), self.BATCHES)


if __name__ == "__main__":
    import unittest
    unittest.main()


class SplitStatusTest(E2ETestCase):
    """[broker] split_status = true: results on the collector's first
    connection, status and replies on a second (client id client_id-status);
    a site's birth, batches and last will all still reach the status engine."""

    def test_results_and_status_on_two_connections(self):
        from test_status import GEO, batch, birth, topic
        from harness import http_json
        broker = self.start_broker()
        cfg, port = self.collector_config(broker.port, status__window=30, status__tick_ms=200,
                                          broker__split_status="true")
        collector = self.start_collector(cfg)
        self.wait_api(port, collector)
        api = f"http://127.0.0.1:{port}"
        wait_subscribed(broker, api)
        wait_for(lambda: "status connection to the broker" in collector.output(), 10,
                 "the status connection")

        def site():
            return http_json(f"{api}/api/v1/sites/{GEO}")[1]
        broker.publish(topic(GEO, "status"), birth(GEO, "vsat-geo"), retain=True)
        wait_for(lambda: site().get("link") == "vsat-geo", 10, "the birth")
        broker.publish(topic(GEO, "result"), batch(GEO, 1, 0, 610))
        wait_for(lambda: site().get("status") == "OK", 10, "OK at 610 ms on VSAT")
        broker.publish(topic(GEO, "status"), json.dumps(
            {"state": "offline", "agent": GEO, "boot": 1, "reason": "lost"}), retain=True)
        s = wait_for(lambda: (s := site()).get("status") == "OFFLINE" and s, 10, "the will")
        self.assertIn("connection lost (last will)", s["reason"])
        stats = http_json(f"{api}/api/v1/stats")[1]
        self.assertEqual(stats["stored"], 1, stats)
