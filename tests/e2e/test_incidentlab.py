"""Incidents with real agents (issue 17, part 3): shared_lab()'s four sites
(tests/lab/pathlab.py) each run a real pantau-agent (icmp and path probes,
2 s cycles) publishing over a management LAN apart from the measured paths
through a real mosquitto to a real collector, which tells a real Alertmanager.
Links are degraded by congestion (tbf: 1000-byte ping trains through a
32 kbit/s bottleneck lose most packets). Needs root; skipped otherwise."""
import json
import os
import shutil
import sys
import time
import unittest
import urllib.request
from datetime import datetime

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lab"))
import pathlab  # noqa: E402
from harness import (E2ETestCase, binary, free_port, http_json, port_open,  # noqa: E402
                     wait_for, wait_subscribed)
from test_alerts import ALERTMANAGER  # noqa: E402

RUN_ALONE = True   # tests/run.py --jobs: its namespaces hold lab addresses and the host's management veth

AGENTS = {"s1": ("ag-3273-0101", "32.73"), "s2": ("ag-3204-0101", "32.04"),
          "s3": ("ag-9501-0101", "95.01"), "s4": ("ag-3171-0101", "31.71")}
SHARED = ["s1", "s2", "s3"]
INTERVAL_S = 4
PATH_EVERY_S = 12     # the path probe's interval: one path run
NEEDS = (os.geteuid() == 0 and shutil.which("ip") and shutil.which("tc") and
         shutil.which("traceroute") and os.path.exists(ALERTMANAGER))


def iso(t):
    return datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()


@unittest.skipUnless(NEEDS, "needs root, ip, tc, traceroute and prometheus-alertmanager")
class LabStack(E2ETestCase):
    """The lab, the broker, the collector, Alertmanager and four agents."""
    PATH_KEYS = {"interval": PATH_EVERY_S}

    def setUp(self):
        super().setUp()
        self.lab = pathlab.shared_lab()
        self.addCleanup(self.lab.close)
        host = self.lab.management(200 + os.getpid() % 50)
        self.start_alertmanager()
        mqtt_port = free_port()
        self.broker = self.start_broker(extra_conf=f"listener {mqtt_port} {host}\n"
                                        "allow_anonymous true\n")
        cfg, port = self.collector_config(
            self.broker.port, status__window=2 * INTERVAL_S, status__tick_ms=200,
            status__leave_windows=1, incidents__hold=6,
            alerts__alertmanager_url=f"http://127.0.0.1:{self.am_port}", alerts__repost=5)
        self.collector = self.start_collector(cfg)
        self.wait_api(port, self.collector)
        self.api = f"http://127.0.0.1:{port}"
        wait_subscribed(self.broker, self.api)
        for role in AGENTS:
            self.start_agent(role, host, mqtt_port)
        self.figures = []

    def start_alertmanager(self):
        self.am_port = free_port()
        conf = os.path.join(self.workdir, "alertmanager.yml")
        with open(conf, "w") as f:
            f.write("route:\n  receiver: 'null'\n  group_by: ['regency']\n"
                    "receivers:\n  - name: 'null'\n")
        am = self.start("alertmanager", [
            ALERTMANAGER, f"--config.file={conf}",
            f"--storage.path={os.path.join(self.workdir, 'am-data')}",
            f"--web.listen-address=127.0.0.1:{self.am_port}", "--cluster.listen-address="])
        wait_for(lambda: port_open(self.am_port) or not am.alive(), 20, "Alertmanager")

    def start_agent(self, role, host, port):
        agent, region = AGENTS[role]
        probes = {"ping": {"type": "icmp", "target": pathlab.TARGET, "count": 10,
                           "spacing_ms": 10, "size": 1000, "timeout_ms": 500},
                  "route": dict({"type": "path", "target": pathlab.TARGET, "max_hops": 6,
                                 "timeout_ms": 500}, **self.PATH_KEYS)}
        cfg = self.agent_config(agent, port, agent, region, probes, agent__interval=INTERVAL_S,
                                broker__host=host)
        self.start(agent, ["ip", "netns", "exec", self.lab.ns(role), binary("pantau-agent"),
                           "--config", cfg])

    # what the collector and Alertmanager say
    def site(self, role):
        return http_json(f"{self.api}/api/v1/sites/{AGENTS[role][0]}")[1]

    def open_incidents(self):
        return http_json(f"{self.api}/api/v1/incidents?open=1")[1]["incidents"]

    def am_alerts(self):
        url = f"http://127.0.0.1:{self.am_port}/api/v2/alerts?active=true&silenced=false"
        with urllib.request.urlopen(url, timeout=5) as r:
            return sorted((a["labels"]["alertname"], a["labels"].get("site", ""))
                          for a in json.load(r)
                          if a["labels"]["alertname"] != "PantauRegencyAtRisk")

    def incident_alerts(self):
        """The collector's firing PantauIncident alerts, and Alertmanager's
        (by label set: an incident whose first site changed while it grew
        can show there twice until the old label set expires)."""
        mine = [a for a in http_json(f"{self.api}/api/v1/alerts")[1]["alerts"]
                if a["firing"] and a["alertname"] == "PantauIncident"]
        return len(mine), sum(1 for name, _ in self.am_alerts() if name == "PantauIncident")

    def site_alerts(self):
        return [site for name, site in self.am_alerts() if name.startswith("PantauSite")]

    def hops(self, role):
        paths = self.site(role).get("latest_path") or []
        return [h.get("addr", "*") for h in paths[0]["hops"]] if paths else []

    def wait_all_ok(self, what):
        """Every site OK with its whole path again (a path run while its own
        link was congested lost its hops), no incident, nothing firing."""
        wait_for(lambda: all(self.site(r).get("status") == "OK" and
                             self.hops(r) == self.normal[r] for r in AGENTS) and
                 not self.open_incidents() and not self.am_alerts(), 60, what, interval=0.5)

    def first_left_ok(self, t0, agents):
        """When the first of agents left OK after t0 (the status events)."""
        since = datetime.utcfromtimestamp(t0).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        events = http_json(f"{self.api}/api/v1/events?scope=site&since={since}")[1]["events"]
        return min(iso(e["time"]) for e in events if e["key"] in agents and e["from"] == "OK")

    def incident(self, t0, label):
        """Waits for the one open incident, and for the three sites in it
        (a site that turns bad a tick after two others joins the incident
        they opened); records its figures."""
        inc = wait_for(self.open_incidents, 40, f"an incident ({label})", interval=0.2)
        seen = time.time()
        self.assertEqual(len(inc), 1, inc)
        lag = iso(inc[0]["start"]) - self.first_left_ok(t0, inc[0]["sites"])
        inc = wait_for(lambda: [i for i in self.open_incidents() if len(i["sites"]) == 3],
                       3 * INTERVAL_S, f"the three sites in the incident ({label})")
        self.assertEqual(len(self.open_incidents()), 1)
        self.figures.append(f"{label}: incident at {inc[0]['hop']} {seen - t0:.1f} s after "
                            f"the link was degraded, {lag:.1f} s after the first site left "
                            f"OK (one path run: {PATH_EVERY_S} s); all three sites in it "
                            f"{time.time() - t0:.1f} s after")
        self.assertLessEqual(lag, PATH_EVERY_S, "within one path run")
        return inc[0]



class IncidentLabTest(LabStack):
    def test_shared_fourth_both_and_route_change(self):
        lab = self.lab
        wait_for(lambda: all(self.site(r).get("status") == "OK" and self.hops(r)
                             for r in AGENTS), 60, "four OK sites with their paths",
                 interval=0.5)
        for r in SHARED:
            self.assertEqual(self.hops(r), lab.traceroute(r))
        self.assertEqual(self.hops("s1"), [pathlab.SHARED_HOP, "198.18.11.2", pathlab.TARGET])
        self.assertEqual(self.hops("s4"), lab.traceroute("s4"))
        self.normal = {r: self.hops(r) for r in AGENTS}
        with self.subTest("the shared link"):
            self.shared_link()
        with self.subTest("the fourth alone"):
            self.fourth_alone()
        with self.subTest("both"):
            self.both()
        with self.subTest("route change"):
            self.route_change()
        print("\n".join(self.figures))

    def shared_link(self):
        t0 = time.time()
        self.lab.degrade("shared")
        inc = self.incident(t0, "shared link")
        self.assert_shared(inc)
        # one alert for the incident; the three sites' own held back
        wait_for(lambda: ("PantauIncident", "") in self.am_alerts(), 15, "PantauIncident")
        self.assertEqual(self.site_alerts(), [])
        self.assertEqual(self.incident_alerts()[0], 1, "one alert for the incident")
        self.release_when_the_incident_ends()
        self.wait_all_ok("recovery after the shared link")

    def assert_shared(self, inc):
        self.assertEqual(inc["hop"], pathlab.SHARED_HOP)
        self.assertEqual(sorted(inc["sites"]), sorted(AGENTS[r][0] for r in SHARED))
        self.assertNotIn(AGENTS["s4"][0], inc["sites"])
        self.assertTrue(inc["message"].startswith(
            f"likely fault at hop {pathlab.SHARED_HOP} (or beyond): 3 of 3 sites"),
            inc["message"])

    def release_when_the_incident_ends(self):
        """s1's own access link stays bad while the shared one recovers: the
        incident ends and s1's held alert is released."""
        self.lab.degrade("s1")
        self.lab.degrade("shared", False)
        wait_for(lambda: not self.open_incidents(), 40, "the incident's end", interval=0.2)
        wait_for(lambda: AGENTS["s1"][0] in self.site_alerts(), 20,
                 "s1's own alert released")
        self.assertNotIn(("PantauIncident", ""), self.am_alerts())
        self.lab.degrade("s1", False)

    def fourth_alone(self):
        t0 = time.time()
        self.lab.degrade("own")
        wait_for(lambda: AGENTS["s4"][0] in self.site_alerts(), 40, "s4's own alert")
        self.figures.append(f"fourth alone: no incident, its own alert in Alertmanager "
                            f"{time.time() - t0:.1f} s after the link was degraded")
        self.assertEqual(http_json(f"{self.api}/api/v1/incidents")[1]["open"], 0)
        self.assertEqual(self.am_alerts(), [("PantauSiteDown", AGENTS["s4"][0])])
        self.lab.degrade("own", False)
        self.wait_all_ok("recovery after the fourth")

    def both(self):
        t0 = time.time()
        self.lab.degrade("shared")
        self.lab.degrade("own")
        inc = self.incident(t0, "both")
        self.assert_shared(inc)
        wait_for(lambda: AGENTS["s4"][0] in self.site_alerts(), 40, "s4's own alert")
        wait_for(lambda: ("PantauIncident", "") in self.am_alerts(), 15, "PantauIncident")
        self.assertEqual(self.site_alerts(), [AGENTS["s4"][0]])
        self.assertEqual(self.incident_alerts()[0], 1, "one alert for the incident")
        self.figures.append("both: PantauIncident alerts firing in the collector / label sets "
                            "in Alertmanager: %d / %d" % self.incident_alerts())
        self.lab.degrade("own", False)
        self.release_when_the_incident_ends()
        self.wait_all_ok("recovery after both")

    def route_change(self):
        t0 = time.time()
        self.lab.route_change()
        new = [pathlab.SHARED_HOP, "198.18.14.2", "198.18.15.2", pathlab.TARGET]
        wait_for(lambda: all(self.hops(r) == new for r in SHARED), 3 * PATH_EVERY_S,
                 "the new path", interval=0.5)
        self.figures.append(f"route change: the new path of the three sites in the API "
                            f"{time.time() - t0:.1f} s after the route moved")
        self.assertEqual(self.hops("s1"), self.lab.traceroute("s1"))
        self.assertEqual(self.hops("s4")[0], pathlab.OWN_HOP)


class PathAtOnceTest(LabStack):
    """The path probe at its default 10 minutes runs at once when the
    agent's own pings degrade, at most once in trigger_gap_s."""
    GAP_S = 16
    PATH_KEYS = {"trigger_gap_s": GAP_S}

    def path_times(self, role):
        """When the collector got each path result of role (its series)."""
        site = http_json(f"{self.api}/api/v1/sites/{AGENTS[role][0]}?range=1h")[1]
        return sorted(iso(p["ts"]) for s in site["series"] if s.get("probe") == "path"
                      for p in s["points"])

    def test_trace_at_once_then_bounded(self):
        wait_for(lambda: all(self.site(r).get("status") == "OK" and self.hops(r)
                             for r in AGENTS), 60, "four OK sites with their first paths",
                 interval=0.5)
        first = {r: self.path_times(r) for r in AGENTS}
        self.assertTrue(all(len(t) == 1 for t in first.values()), first)
        # past the gap since the first trace, which every agent runs at its start
        wait_for(lambda: time.time() > max(t[0] for t in first.values()) + self.GAP_S,
                 2 * self.GAP_S, "the gap after the first traces", interval=0.5)
        t0 = time.time()
        self.lab.degrade("shared")
        wait_for(lambda: all(len(self.path_times(r)) == 2 for r in SHARED), 4 * INTERVAL_S,
                 "a trace at once from the three sites behind the congested link")
        took = max(self.path_times(r)[1] for r in SHARED) - t0
        left_ok = wait_for(lambda: self.first_left_ok(t0, [AGENTS[r][0] for r in SHARED]),
                           6 * INTERVAL_S, "a site to leave OK")
        # the bound: the pings stay bad, the next trace waits for the gap
        wait_for(lambda: time.time() > t0 + 2 * self.GAP_S, 3 * self.GAP_S, "two gaps",
                 interval=0.5)
        for r in SHARED:
            runs = self.path_times(r)[1:]
            gaps = [b - a for a, b in zip(runs, runs[1:])]
            self.assertTrue(2 <= len(runs) <= 3, runs)
            self.assertTrue(all(g >= self.GAP_S - 1 for g in gaps), gaps)
        self.assertEqual(len(self.path_times("s4")), 1, "s4's pings were fine: no trace")
        print(f"path at once: the three traces in {took:.1f} s after the link was "
              f"congested, {left_ok - t0 - took:.1f} s before the first site left OK; "
              f"then one per {self.GAP_S} s gap")


if __name__ == "__main__":
    unittest.main()
