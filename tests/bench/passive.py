"""Benchmarks of the passive probe (docs/bench.md, "passive"), registered in run.py.

offline  packets per second through the probe's decoder and flow table
         (pantau-passive-read) and through `tshark -n -r` on the same file in the
         same run: the lab fixture tests/fixtures/pcap/lab_retrans_inbound.pcap
         repeated (each copy's site port moved, so each is new flows)
live     the real agent capturing on a veth (the far end in a namespace prefixed
         `passive`) while 10,000 packets/s of DNS-port UDP from 20,000 ports arrive:
         its CPU share of one core over the window and its RSS with the flow table
         full (max_flows 16384, more flows than that, so evictions)
"""
import os
import struct
import subprocess
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "pcap", "lab_retrans_inbound.pcap")
SITE = bytes([198, 18, 0, 1])
COPIES = 500
PPS, LIVE_S, PORTS = 10000, 20, 20000
SITE_ADDR, FAR_ADDR = "198.19.78.1", "198.19.78.2"


def big_pcap(path):
    """The fixture COPIES times, later copies shifted in time and port."""
    with open(FIXTURE, "rb") as f:
        data = f.read()
    head, recs, off = data[:24], [], 24
    while off + 16 <= len(data):
        sec, usec, incl, orig = struct.unpack_from("<IIII", data, off)
        recs.append((sec, usec, orig, bytearray(data[off + 16:off + 16 + incl])))
        off += 16 + incl
    span = recs[-1][0] - recs[0][0] + 2
    n = 0
    with open(path, "wb") as out:
        out.write(head)
        for c in range(COPIES):
            for sec, usec, orig, frame in recs:
                f = bytearray(frame)
                ihl = (f[14] & 0xF) * 4
                at = 14 + ihl + (0 if f[26:30] == SITE else 2)  # the site's port
                port = (struct.unpack_from(">H", f, at)[0] + c * 7) % 60000 + 1024
                struct.pack_into(">H", f, at, port)
                out.write(struct.pack("<IIII", sec + c * span, usec, len(f), orig) + f)
                n += 1
    return n


def timed(argv):
    t0 = time.monotonic()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   timeout=600)
    return time.monotonic() - t0


def offline(build):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "big.pcap")
        n = big_pcap(path)
        ours = timed([os.path.join(build, "tests", "pantau-passive-read"), path, "198.18.0.1"])
        theirs = timed(["tshark", "-n", "-r", path])
        size = os.path.getsize(path)
    return n, size, n / ours, n / theirs


def sh(*argv, check=True):
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=60, check=check)


SENDER = """
import socket, sys, time
pps, secs, ports = int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 53))
q = bytes.fromhex("1234010000010000000000000161000001000100")
t0, sent = time.monotonic(), 0
while time.monotonic() - t0 < secs:
    due = int((time.monotonic() - t0) * pps)
    while sent < due:
        s.sendto(q, (sys.argv[1], 1024 + sent % ports)); sent += 1
    time.sleep(0.002)
print(sent)
"""


def live(build, proc_status, cpu_seconds):
    tag = str(os.getpid() % 100000)
    ns, ifname, peer = f"passive-bench{tag}", f"pab{tag}a", f"pab{tag}b"
    with tempfile.TemporaryDirectory() as tmp:
        sh("ip", "netns", "add", ns)
        try:
            sh("ip", "link", "add", ifname, "type", "veth", "peer", "name", peer, "netns", ns)
            sh("ip", "addr", "add", f"{SITE_ADDR}/30", "dev", ifname)
            sh("ip", "link", "set", ifname, "up")
            for cmd in (["ip", "addr", "add", f"{FAR_ADDR}/30", "dev", peer],
                        ["ip", "link", "set", peer, "up"]):
                sh("ip", "netns", "exec", ns, *cmd)
            return run_agent(build, tmp, ns, ifname, proc_status, cpu_seconds)
        finally:
            sh("ip", "link", "del", ifname, check=False)
            sh("ip", "netns", "del", ns, check=False)


def run_agent(build, tmp, ns, ifname, proc_status, cpu_seconds):
    import harness  # tests/e2e/, on the path run.py sets
    ini = harness.write_ini(os.path.join(tmp, "agent.ini"), {
        "agent": {"id": "ag-3273-0999", "region": "32.73", "site": "bench", "link": "fiber",
                  "interval": LIVE_S + 10, "splay": 0, "state_dir": tmp},
        "broker": {"host": "127.0.0.1", "port": 9, "tls": "false"},
        "probe.traffic": {"type": "passive", "target": ifname, "window": LIVE_S + 5,
                          "max_flows": 16384}})
    agent = subprocess.Popen([os.path.join(build, "pantau-agent"), "--config", ini],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(2)
        sender = subprocess.Popen(["ip", "netns", "exec", ns, "python3", "-c", SENDER, SITE_ADDR,
                                   str(PPS), str(LIVE_S + 2), str(PORTS)],
                                  stdout=subprocess.PIPE, text=True)
        time.sleep(1)
        c0, t0 = cpu_seconds(agent.pid), time.monotonic()
        time.sleep(LIVE_S)
        c1, t1 = cpu_seconds(agent.pid), time.monotonic()
        rss = proc_status(agent.pid)
        sent = int(sender.communicate(timeout=30)[0] or 0)
        return {"cpu_pct": (c1 - c0) * 100 / (t1 - t0), "rss_kib": rss.get("VmRSS"),
                "hwm_kib": rss.get("VmHWM"), "sent": sent}
    finally:
        agent.terminate()
        agent.wait(timeout=10)


def bench_passive(args, proc_status, cpu_seconds, mib):
    n, size, ours, theirs = offline(args.build)
    print(f"passive offline: {n} packets ({size / 1e6:.1f} MB, the lab fixture x{COPIES})")
    print(f"  pantau-passive-read {ours:,.0f} packets/s   reference: tshark -n -r "
          f"{theirs:,.0f} packets/s   ratio {ours / theirs:.1f}")
    if os.geteuid() != 0:
        print("  passive live: skipped (needs root: a namespace and capture)")
        return True
    r = live(args.build, proc_status, cpu_seconds)
    print(f"passive live: {PPS} packets/s offered ({r['sent']} sent in {LIVE_S + 2} s, "
          f"{PORTS} flows, max_flows 16384)")
    print(f"  agent CPU {r['cpu_pct']:.2f} % of one core over {LIVE_S} s, RSS "
          f"{mib(r['rss_kib'])} (peak {mib(r['hwm_kib'])}) with the flow table full")
    return True
