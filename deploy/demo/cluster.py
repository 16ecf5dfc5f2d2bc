#!/usr/bin/env python3
"""make demo-cluster: the national topology of docs/scaling.md on one machine.

The sites and simulated sites of `make demo` (demo.py), secure as there, but
in tiers: two regional mosquitto brokers (regional-a for Sumatra and Java,
provinces 11 to 36; regional-b for the other islands), each with the agents'
TLS listener and a bridge to the central pair (the shipped
pantau-bridge.conf.example: persistent session, results and status up,
commands and the counting mode down, the standby as its second address);
central-a (main) and central-b (standby); three collectors on them in
partitioned mode ([cluster] partitions = 6, one [broker] client_id), sharing
a PostgreSQL primary and its streaming replica ([store] url lists both,
target_session_attrs=read-write). The PostgreSQL cluster is a throwaway one
(pgcluster.py: initdb and pg_ctl in a temporary folder, on a Unix socket, as
`nobody` when run as root), removed at the end. Each agent lists both
regional brokers, its own region's first: it enrols at the collector whose
[enrol] broker_host names them in that order (a demo shortcut; a deployment
gives a region's sites its regional broker by its package or by DNS).
Prints every address, the dashboard's and the regional summary as `make
demo` does; Ctrl-C or SIGTERM stops everything it started, agents first,
the database last, and removes the database's folder.
"""
import os
import sys

import demo
import pgcluster
from demo import brokerconf, pick_port

PARTITIONS = 6
COLLECTORS = 3
REGIONS = ("a", "b")


def region_of(code):
    """The regional broker of a regency code: a for provinces 11 to 36."""
    return "a" if int(code.split(".")[0]) < 50 else "b"


class ClusterDemo(demo.Demo):
    def __init__(self, build, var):
        super().__init__(build, var)
        self.pg = []          # the primary, then its replica
        self.central = []     # the central brokers' ports, the main one first
        self.regional = {}    # region: (loopback port, agents' TLS port)
        self.apis = []        # the collectors' API URLs

    def setup(self):
        self.prepare()
        self.start_postgresql()
        for name, preferred in (("central-a", 18840), ("central-b", 18841)):
            port = pick_port(preferred)
            self.start_broker(name, port, state_dir=os.path.join(self.var, name))
            self.central.append(port)
        centrals = [f"127.0.0.1:{p}" for p in self.central]
        for i, r in enumerate(REGIONS):
            port, tls = pick_port(18830 + 2 * i), pick_port(18831 + 2 * i)
            self.start_broker(f"regional-{r}", port, self.agents_listener(tls) +
                              brokerconf.bridge_conf(r, centrals),
                              state_dir=os.path.join(self.var, f"regional-{r}"))
            self.regional[r] = (port, tls)
        for i in range(COLLECTORS):
            self.start_member(i, ", ".join(centrals))
        self.api_port = int(self.apis[0].rsplit(":", 1)[1])
        for site in demo.SITES:
            r = region_of(site[1])
            self.start_agent(site, self.apis[REGIONS.index(r)], self.regional[r][1])
        self.start_simulated(self.regional["a"][0])

    def start_postgresql(self):
        if not pgcluster.available():
            raise SystemExit("demo: postgresql-15 is not installed; run 'make deps'")
        primary = pgcluster.PgCluster("demo-a")
        self.pg.append(primary)
        primary.start()
        self.pg.append(primary.replica("demo-b"))
        self.store = primary.failover_url(self.pg[1])

    def start_member(self, i, centrals):
        """Collector i of the cluster; it enrols agents onto the regional
        brokers with region i (of REGIONS, in turn) first."""
        r = REGIONS[i % len(REGIONS)]
        order = [r] + [x for x in REGIONS if x != r]
        enrol_hosts = ", ".join(f"127.0.0.1:{self.regional[x][1]}" for x in order)
        port = pick_port(8080 + i)
        self.start_collector(f"collector-{i}", port, (centrals, self.central[0]),
                             (enrol_hosts, self.regional[r][1]), store={"url": self.store},
                             cluster={"partitions": PARTITIONS})
        self.apis.append(f"http://127.0.0.1:{port}")

    def addresses(self):
        regional = "; ".join(
            f"regional-{r} mqtts://127.0.0.1:{tls} (agents, with their certificates), "
            f"mqtt://127.0.0.1:{port} (loopback{', the simulated sites' if r == 'a' else ''})"
            for r, (port, tls) in self.regional.items())
        return [f"regional brokers: {regional}",
                f"central brokers: central-a mqtt://127.0.0.1:{self.central[0]} (main), "
                f"central-b mqtt://127.0.0.1:{self.central[1]} (standby): the bridges' and "
                "the collectors'",
                f"postgresql: primary {self.pg[0].url()}, replica {self.pg[1].url()} "
                "(streaming)",
                f"api: {' '.join(a + '/' for a in self.apis)} ({COLLECTORS} collectors "
                f"sharing {PARTITIONS} partitions; each answers for every site)"
                ] + self.dashboard()

    def stop(self):
        self.stop_processes()
        for pg in reversed(self.pg):
            pg.remove()
        print(f"demo: stopped everything it started and removed the database; logs in "
              f"{self.var}/")


if __name__ == "__main__":
    sys.exit(demo.main(ClusterDemo, "demo-cluster", __doc__))
