"""Benchmarks of the agent's outbox (docs/bench.md), registered in run.py.

outbox    cost of one batch written to the outbox (append + fdatasync), next to
          write() + fdatasync() of the same bytes in the same folder
backfill  an agent with a backlog on disk delivers it over a simulated
          1 Mbit/s link (a shaping TCP proxy), next to mosquitto_pub sending
          the same payloads over the same link; live batches' delay meanwhile
"""
import datetime
import json
import os
import socket
import sqlite3
import struct
import subprocess
import threading
import time
import zlib

LINK_BPS = 1_000_000 / 8      # the simulated link, bytes per second each way
SEG_HDR = struct.Struct("<IHHIIqqq")
SEG_MAGIC = 0x424F5450


class ShapedLink:
    """A TCP proxy on loopback that passes at most LINK_BPS bytes/s in each
    direction (token bucket, 4 KiB chunks): a stand-in for a thin site link
    on a kernel without netem."""

    def __init__(self, upstream_port, rate=LINK_BPS):
        self.upstream = upstream_port
        self.rate = rate
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(16)
        self.port = self.srv.getsockname()[1]
        self.closing = False
        self.socks = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closing:
            try:
                c, _ = self.srv.accept()
                u = socket.create_connection(("127.0.0.1", self.upstream))
            except OSError:
                continue
            self.socks += [c, u]
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src, dst):
        tokens, last = 0.0, time.monotonic()
        try:
            while True:
                data = src.recv(4096)
                if not data:
                    break
                while True:
                    now = time.monotonic()
                    tokens = min(tokens + (now - last) * self.rate, 4096.0)
                    last = now
                    if tokens >= len(data):
                        break
                    time.sleep((len(data) - tokens) / self.rate)
                tokens -= len(data)
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self, timeout=None):
        self.close()

    def close(self):
        self.closing = True
        self.srv.close()
        for s in self.socks:
            try:
                s.close()
            except OSError:
                pass


def batch_payload(agent, seq, ts_ms):
    """A realistic batch (icmp, tcp and http results), about 600 bytes."""
    ts = datetime.datetime.fromtimestamp(ts_ms / 1000, datetime.timezone.utc)
    iso = ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts_ms % 1000:03d}Z"
    return json.dumps({
        "v": 1, "agent": agent, "boot": 1, "seq": seq, "ts": iso,
        "results": [
            {"probe": "icmp", "target": "203.0.113.10", "sent": 20, "recv": 20, "loss_pct": 0,
             "rtt_ms": {"min": 41.2, "p50": 43.0, "avg": 43.4, "p95": 47.9, "max": 52.1},
             "jitter_ms": 1.9, "pdv_ms": 6.7},
            {"probe": "tcp", "target": "tally.example:443", "ok": True, "connect_ms": 44.1,
             "dns_ms": 3.2},
            {"probe": "http", "target": "https://tally.example/api/ping", "ok": True,
             "status": 200, "dns_ms": 3.1, "connect_ms": 44.0, "tls_ms": 92.5,
             "ttfb_ms": 140.2, "total_ms": 141.0}],
        "outbox": {"pending": seq, "dropped": 0}}, separators=(",", ":")).encode()


def write_backlog(state_dir, agent, n):
    """An outbox holding n undelivered batches of boot 1 (the agent's format,
    docs/outbox.md) and a boot counter at 1; returns the payloads."""
    os.makedirs(os.path.join(state_dir, "outbox"))
    with open(os.path.join(state_dir, "boot"), "w") as f:
        f.write("1\n")
    now = int(time.time() * 1000)
    payloads = [batch_payload(agent, s, now - (n - s) * 60000) for s in range(1, n + 1)]
    with open(os.path.join(state_dir, "outbox", "0000000001.seg"), "wb") as f:
        for seq, p in enumerate(payloads, 1):
            head = SEG_HDR.pack(SEG_MAGIC, 1, 0, len(p), 0, 1, seq, now)
            crc = zlib.crc32(head + p)
            f.write(SEG_HDR.pack(SEG_MAGIC, 1, 0, len(p), crc, 1, seq, now) + p)
    return payloads


def peak_rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def bench_outbox(args, hm, workdir_cls):
    """Write cost per batch, fsync included, next to write + fdatasync."""
    tool = os.path.join(args.build, "pantau-bench-outbox")
    wd = workdir_cls(args.build, "outbox", args.keep)
    failed = True
    try:
        print(f"outbox: {args.outbox_count} batches of 600 and of 4000 bytes appended to an "
              f"outbox in {os.path.dirname(wd.path)}")
        print(f"  {'batch':>7}  {'outbox append+fsync':>20}  {'reference write+fdatasync':>26}")
        for size in (600, 4000):
            sub = os.path.join(wd.path, str(size))
            os.makedirs(sub)
            out = subprocess.run([tool, sub, str(args.outbox_count), str(size)],
                                 capture_output=True, text=True, timeout=600)
            if out.returncode != 0:
                raise RuntimeError(f"pantau-bench-outbox: {out.stderr.strip()}")
            r = json.loads(out.stdout)
            print(f"  {size:>5} B  {r['outbox_us']:>17.0f} us  {r['raw_us']:>23.0f} us")
        failed = False
        return True
    finally:
        wd.close(failed)


def store_count(db, boot):
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute("SELECT count(*) FROM batches WHERE boot = ?", (boot,)).fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def live_delays(db, after_ms):
    """Delays of the batches measured after after_ms (the agent was connected)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return [r[0] for r in con.execute("SELECT recv_ms - ts_ms FROM batches WHERE boot = 2"
                                          " AND ts_ms > ?", (after_ms,))]
    finally:
        con.close()


def run_backfill(args, hm, wd, rate, procs):
    """One agent with args.backfill_count batches on disk, behind the link;
    returns seconds, bytes and the live delays."""
    broker = hm.Broker(wd)
    procs.append(("mosquitto", broker.proc))
    api_port = hm.free_port()
    cfg = hm.write_ini(os.path.join(wd, "collector.ini"), {
        "collector": {"database": os.path.join(wd, "pantau.db"), "catalog_dir": hm.CATALOG_DIR,
                      "log_level": "warn"},
        "broker": {"host": "127.0.0.1", "port": broker.port, "client_id": "bench-backfill"},
        "api": {"listen": "127.0.0.1", "port": api_port}})
    col = hm.Proc("collector", [hm.binary("pantau-collector"), "--config", cfg], wd)
    procs.append(("collector", col))
    hm.wait_for(lambda: hm.http_json(f"http://127.0.0.1:{api_port}/healthz")[0] == 200, 15,
                "the collector")
    hm.wait_subscribed(broker, f"http://127.0.0.1:{api_port}")
    link = ShapedLink(broker.port)
    procs.append(("link", link))
    agent = "ag-3273-0900"
    state = os.path.join(wd, "state")
    payloads = write_backlog(state, agent, args.backfill_count)
    acfg = hm.write_ini(os.path.join(wd, "agent.ini"), {
        "agent": {"id": agent, "region": "32.73", "site": "bench", "link": "vsat-geo",
                  "interval": 5, "splay": 0, "state_dir": state, "log_level": "warn",
                  "backfill_rate": rate},
        "broker": {"host": "127.0.0.1", "port": link.port},
        "probe.api": {"type": "tcp", "target": f"127.0.0.1:{api_port}", "timeout_ms": 1000}})
    t0 = time.monotonic()
    started_ms = int(time.time() * 1000)
    ag = hm.Proc("agent", [hm.binary("pantau-agent"), "--config", acfg], wd)
    procs.append(("agent", ag))
    db = os.path.join(wd, "pantau.db")
    hm.wait_for(lambda: store_count(db, 1) >= len(payloads) or not ag.alive(), 1200,
                "the backlog to be stored", interval=0.2)
    secs = time.monotonic() - t0
    rss = peak_rss_kib(ag.pid)
    return {"seconds": secs, "bytes": sum(len(p) for p in payloads), "n": len(payloads),
            "live": live_delays(db, started_ms + 2000), "rss_kib": rss, "link": link, "broker": broker,
            "payloads": payloads}


def reference_pub(hm, r):
    """mosquitto_pub sending the same payloads (QoS 1) over the same link."""
    lines = b"\n".join(r["payloads"]) + b"\n"
    t0 = time.monotonic()
    subprocess.run([hm.MOSQUITTO_PUB, "-h", "127.0.0.1", "-p", str(r["link"].port), "-q", "1",
                    "-t", "bench/reference", "-l"], input=lines, check=True, timeout=600)
    return time.monotonic() - t0


def bench_backfill(args, hm, workdir_cls, stop_all):
    print(f"backfill: {args.backfill_count} batches (about 600 bytes) waiting in an agent's "
          f"outbox, delivered over a simulated {LINK_BPS * 8 / 1e6:g} Mbit/s link; live "
          f"batches every 5 s meanwhile")
    print(f"  {'backfill_rate':>14}  {'batches/s':>9}  {'KB/s':>6}  {'took':>7}  "
          f"{'live delay max':>14}  {'agent peak RSS':>14}  {'reference mosquitto_pub':>24}")
    for rate in (16384, 1000000000):
        wd = workdir_cls(args.build, "backfill", args.keep)
        procs, failed = [], True
        try:
            r = run_backfill(args, hm, wd.path, rate, procs)
            ref = reference_pub(hm, r)
            label = "16384 (default)" if rate == 16384 else "unlimited"
            live = f"{max(r['live'])} ms" if r["live"] else "none yet"
            print(f"  {label:>14}  {r['n'] / r['seconds']:>9.1f}  "
                  f"{r['bytes'] / r['seconds'] / 1000:>6.1f}  {r['seconds']:>5.1f} s  "
                  f"{live:>14}  {r['rss_kib'] / 1024:>11.1f} MiB  "
                  f"{r['n'] / ref:>7.1f} batches/s {r['bytes'] / ref / 1000:>5.1f} KB/s")
            failed = False
        finally:
            stop_all(procs)
            wd.close(failed)
    return True
