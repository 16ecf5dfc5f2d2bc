#!/usr/bin/env python3
"""Write the fuzz harnesses' seed corpora and dictionaries (docs/testing.md, "Fuzzing").

    python3 tests/fuzz/seeds.py          (from the top of the tree)

Seeds are the examples of docs/protocol.md and docs/status.md, the example
configurations in deploy/, and edge cases taken from the unit tests (each a
valid input or one rejected for one reason). They are written as
tests/fuzz/corpus/HARNESS/seed-NAME; files the fuzzer found (named by their
SHA-1, added with -merge=1) are left as they are. Dictionaries
(tests/fuzz/dict/) hold the tokens of the formats: JSON field names from
docs/protocol.md, INI keys from docs/configuration.md, HTTP header names.
"""
import os
import re
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")
DICT = os.path.join(ROOT, "tests", "fuzz", "dict")

# ---- wire (docs/protocol.md) ----

BATCH = ('{"v":1, "agent":"ag-3273-0001", "boot":17, "seq":1042, "ts":"2024-02-14T06:00:30.125Z",\n'
         ' "mono_ms":86430125,\n'
         ' "results":[\n'
         '  {"probe":"icmp","target":"203.0.113.10","addr":"203.0.113.10","sent":20,"recv":19,\n'
         '   "loss_pct":5.0,"rtt_ms":{"min":41.2,"p50":43.0,"avg":43.4,"p95":47.9,"max":52.1},\n'
         '   "jitter_ms":1.9,"pdv_ms":6.7},\n'
         '  {"probe":"tcp","target":"tally.example:443","ok":true,"dns_ms":3.1,"connect_ms":44.0},\n'
         '  {"probe":"http","target":"https://tally.example/api/ping","ok":true,"status":200,\n'
         '   "dns_ms":3.1,"connect_ms":44.0,"tls_ms":92.5,"ttfb_ms":140.2,"total_ms":141.0}],\n'
         ' "outbox":{"pending":0,"dropped":0}}')
STAMP_RESULT = ('{"probe":"stamp","target":"reflector.example:862","ok":true,"addr":"198.51.100.7",'
                '"port":862,"sent":20,"recv":20,"loss_pct":0,"rtt_ms":{"min":10.1,"p50":10.4,'
                '"avg":10.5,"p95":11.2,"max":12.0},"jitter_ms":0.3,"pdv_ms":1.1,"mos":4.4,'
                '"ttl":64,"synced":false}')
BATCH_SEEDS = {
    "doc-example": BATCH,
    "agent-line": "ag-x\n" + BATCH.replace("ag-3273-0001", "ag-x"),
    "path": '{"v":1,"agent":"ag-3273-0001","boot":1,"seq":3,"ts":"2024-02-14T06:00:30Z",'
            '"results":[{"probe":"path","target":"h","ok":true,"proto":"udp","dest":"198.18.1.2",'
            '"reached":true,"path_hash":"0123456789abcdef","duration_ms":812.5,"hops":['
            '{"ttl":1,"addr":"198.18.0.1","sent":3,"recv":3,"loss_pct":0,"rtt_p50_ms":0.21,'
            '"rate_limited":false},{"ttl":2,"sent":3,"recv":0,"loss_pct":100,"rate_limited":false}]}]}',
    "icmp-all-lost": '{"v":1,"agent":"ag-3273-0001","boot":0,"seq":1,"ts":"2024-02-14T06:00:30Z",'
                     '"results":[{"probe":"icmp","target":"h","sent":10,"recv":0,"loss_pct":100}]}',
    "icmp-unresolved": '{"v":1,"agent":"ag-3273-0001","boot":1,"seq":2,"ts":"2024-02-14T06:00:30.1Z",'
                       '"results":[{"probe":"icmp","target":"nx.example","sent":0,"recv":0,'
                       '"loss_pct":100,"error":"cannot resolve nx.example"}]}',
    "tcp-refused": '{"v":1,"agent":"ag-3273-0001","boot":1,"seq":3,"ts":"2024-02-14T06:00:30.123456789Z",'
                   '"results":[{"probe":"tcp","target":"tally.example:443","ok":false,'
                   '"error":"connection refused"}]}',
    "other-kind": '{"v":1,"agent":"ag-3273-0001","boot":1,"seq":4,"ts":"2024-02-29T23:59:60Z",'
                  '"results":[' + STAMP_RESULT + ']}',
    "empty-results": '{"v":1,"agent":"ag-3273-0001","boot":9007199254740991,"seq":9007199254740991,'
                     '"ts":"2024-02-14T06:00:30.125Z","results":[]}',
    "clock-1970-mono": '{"v":1,"agent":"ag-3273-0001","boot":1,"seq":5,"ts":"1970-01-01T00:00:00Z",'
                       '"mono_ms":0,"results":[]}',
    "rej-mono-negative": '{"v":1,"agent":"ag-3273-0001","boot":1,"seq":5,"ts":"2024-02-14T06:00:30Z",'
                         '"mono_ms":-1,"results":[]}',
    "rej-version": '{"v":2,"agent":"ag-3273-0001","boot":1,"seq":1,"ts":"2024-02-14T06:00:30Z","results":[]}',
    "rej-duplicate-key": '{"v":1,"v":1}',
    "rej-loss": '{"v":1,"agent":"ag-3273-0001","boot":1,"seq":1,"ts":"2024-02-14T06:00:30Z",'
                '"results":[{"probe":"icmp","target":"h","sent":10,"recv":9,"loss_pct":10.5,'
                '"rtt_ms":{"min":1,"p50":2,"avg":2,"p95":3,"max":4}}]}',
    "rej-rtt-order": '{"v":1,"agent":"ag-3273-0001","boot":1,"seq":1,"ts":"2024-02-14T06:00:30Z",'
                     '"results":[{"probe":"icmp","target":"h","sent":1,"recv":1,"loss_pct":0,'
                     '"rtt_ms":{"min":5,"p50":2,"avg":2,"p95":3,"max":4}}]}',
    "rej-control-char": '{"v":1,"agent":"ag-3273-0001","boot":1,"seq":1,"ts":"2024-02-14T06:00:30Z",'
                        '"results":[{"probe":"http","target":"a\\u0001b","ok":true,"status":200,"total_ms":1}]}',
    "rej-nul": '{"v":1,"agent":"ag-3273-0001\\u0000","boot":1,"seq":1,"ts":"x","results":[]}',
    "rej-not-object": '[1,2,3]',
    "rej-huge-number": '{"v":1e999}',
}

STATUS_SEEDS = {
    "birth-doc": '{"v":1,"state":"online","agent":"ag-3273-0001","boot":17,"ts":"2024-02-14T06:00:01.004Z",\n'
                 ' "site":"SMPN 2 Bandung","link":"fiber","region":"32.73","interval":60,"version":"0.1.0",\n'
                 ' "lat":-6.915,"lon":107.61}',
    "will": '{"v":1,"state":"offline","agent":"ag-3273-0001","boot":17,"reason":"lost"}',
    "shutdown": '{"v":1,"state":"offline","agent":"ag-3273-0001","boot":17,"reason":"shutdown"}',
    "simulated": '{"state":"online","simulated":true}',
    "rej-state": '{"state":"maybe"}',
    "rej-link": '{"state":"online","link":"carrier-pigeon"}',
    "rej-lat-alone": '{"state":"online","lat":-6.9}',
    "rej-agent": '{"state":"online","agent":"ag-2"}',
    "rej-version": '{"v":9,"state":"online"}',
    "empty-object": '{}',
}

CMD_SEEDS = {
    "replay-doc": '{"cmd":"replay","boot":17,"from_seq":1031,"to_seq":1035}',
    "replay-one": '{"cmd":"replay","boot":3,"from_seq":5}',
    "rej-unknown": '{"cmd":"reboot"}',
    "rej-reversed": '{"cmd":"replay","boot":3,"from_seq":9,"to_seq":8}',
    "rej-too-many": '{"cmd":"replay","boot":3,"from_seq":1,"to_seq":10001}',
    "rej-no-boot": '{"cmd":"replay","from_seq":1}',
}

REPLY_SEEDS = {
    "gone-doc": '{"v":1,"reply":"gone","agent":"ag-3273-0001","boot":17,'
                '"seqs":[[1031,1032],[1035,1035]]}',
    "gone-empty": '{"v":1,"reply":"gone","agent":"ag-3273-0001","boot":0,"seqs":[]}',
    "rej-overlap": '{"v":1,"reply":"gone","agent":"ag-3273-0001","boot":1,"seqs":[[5,6],[6,7]]}',
    "rej-reversed": '{"v":1,"reply":"gone","agent":"ag-3273-0001","boot":1,"seqs":[[9,8]]}',
    "rej-too-long": '{"v":1,"reply":"gone","agent":"ag-3273-0001","boot":1,"seqs":[[1,10001]]}',
    "rej-agent": '{"v":1,"reply":"gone","agent":"ag-2","boot":1,"seqs":[]}',
    "rej-reply": '{"v":1,"reply":"kept","agent":"ag-3273-0001","boot":1,"seqs":[]}',
    "rej-pair": '{"v":1,"reply":"gone","agent":"ag-3273-0001","boot":1,"seqs":[[1,2,3]]}',
}

MODE_SEEDS = {
    "counting-doc": '{"mode":"counting","until":"2029-02-16T16:59:00.000Z",\n'
                    ' "zones":{"WIB":{"active":true,"from":"2029-02-14T06:00:00.000Z","until":"2029-02-16T16:59:00.000Z"},\n'
                    '          "WITA":{"active":true,"from":"2029-02-14T05:00:00.000Z","until":"2029-02-16T15:59:00.000Z"},\n'
                    '          "WIT":{"active":false,"from":"2029-02-14T04:00:00.000Z","until":"2029-02-16T14:59:00.000Z"}}}',
    "normal": '{"mode":"normal"}',
    "counting-no-zones": '{"mode":"counting","until":"2029-02-16T16:59:00Z"}',
    "empty": '',
    "rej-mode": '{"mode":"party"}',
}

TOPIC_SEEDS = {
    "result": "pantau/v1/32/3273/ag-3273-0001/result",
    "status": "pantau/v1/95/9501/ag-9501-0001/status",
    "check": "pantau/v1/32/3273/ag-1/check",
    "cmd": "pantau/v1/cmd/ag-3273-0001",
    "reply": "pantau/v1/32/3273/ag-3273-0001/reply",
    "mode": "pantau/v1/mode",
    "rej-province": "pantau/v1/33/3273/ag-1/result",
    "rej-levels": "pantau/v1/32/3273/ag-1/result/extra",
    "rej-dot": "pantau/v1/32/32.73/ag.1/result",
    "rej-long-agent": "pantau/v1/32/3273/" + "a" * 65 + "/result",
}

# ---- worker protocol (agent/workerproto.h) ----

WORKER_REQUEST_SEEDS = {
    "http": '{"kind":"http","name":"tally","target":"https://tally.example/api/ping","timeout_ms":10000,'
            '"params":{"method":"GET","max_bytes":"1048576","expect_status":"0","insecure":"false"},'
            '"budget":{"limit_bytes":100000000,"used_bytes":2000000}}',
    "throughput": '{"kind":"throughput","name":"speed","target":"http://reflector.example:8862",'
                  '"timeout_ms":30000,"params":{"direction":"both","connections":"4","duration_s":"10",'
                  '"max_bytes":"268435456"},"budget":{"limit_bytes":100000000,"used_bytes":0}}',
    "upload-task": '{"kind":"upload_task","name":"form","target":"https://tally.example/upload",'
                   '"timeout_ms":25000,"params":{"size":"2000000","method":"PUT",'
                   '"content_type":"application/pdf","insecure":"true"},'
                   '"budget":{"limit_bytes":0,"used_bytes":0}}',
    "rej-kind": '{"kind":"icmp","name":"gw","target":"203.0.113.1","timeout_ms":1000,"params":{},'
                '"budget":{"limit_bytes":1,"used_bytes":0}}',
    "rej-param": '{"kind":"http","name":"tally","target":"https://tally.example/","timeout_ms":1000,'
                 '"params":{"method":"POST\\nx = 1"},"budget":{"limit_bytes":1,"used_bytes":0}}',
}

WORKER_REPLY_SEEDS = {
    "http": '{"result":{"probe":"http","target":"https://tally.example/api/ping","ok":true,"status":200,'
            '"dns_ms":3.1,"connect_ms":44.0,"tls_ms":92.5,"ttfb_ms":140.2,"total_ms":141.0},'
            '"spent_bytes":0,"maxrss_kb":5120,"cpu_ms":12}',
    "throughput": '{"result":{"probe":"throughput","target":"https://tally.example/api/ping","ok":true,'
                  '"download":{"direction":"download","mbps":18.2}},"spent_bytes":24000000}',
    "wrong-target": '{"result":{"probe":"http","target":"https://other.example/"}}',
    "nothing": '',
    "not-object": '"result"',
}

# ---- HTTP (collector/api/) ----

API_SEEDS = {
    "healthz": "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
    "regions-gzip": "GET /api/v1/regions?province=32 HTTP/1.1\r\nHost: x\r\nAccept-Encoding: br, gzip;q=0.8\r\n\r\n",
    "regions": "GET /api/v1/regions HTTP/1.1\r\nHost: x\r\n\r\n",
    "region": "GET /api/v1/regions/32.73 HTTP/1.1\r\nHost: x\r\n\r\n",
    "region-nodot": "HEAD /api/v1/regions/3273/ HTTP/1.0\r\n\r\n",
    "site": "GET /api/v1/sites/ag-a?range=24h HTTP/1.1\r\nHost: x\r\n\r\n",
    "sites": "GET /api/v1/sites HTTP/1.1\r\nHost: x\r\nAccept-Encoding: x-gzip\r\n\r\n",
    "events": "GET /api/v1/events?since=2024-02-14T06:00:00Z&limit=10&scope=regency HTTP/1.1\r\nHost: x\r\n\r\n",
    "stats": "GET /api/v1/stats HTTP/1.1\r\nHost: x\r\n\r\n",
    "overview": "GET /api/v1/overview HTTP/1.1\r\nHost: x\r\n\r\n",
    "alerts": "GET /api/v1/alerts HTTP/1.1\r\nHost: x\r\n\r\n",
    "metrics": "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
    "web": "GET /ui/app.js HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"abc\"\r\n\r\n",
    "web-index": "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    "web-dotdot": "GET /ui/%2e%2e/x HTTP/1.1\r\nHost: x\r\n\r\n",
    "post": "POST /api/v1/stats HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nx=1",
    "bad-param": "GET /api/v1/regions?provinse=32&province HTTP/1.1\r\nHost: x\r\n\r\n",
    "long-path": "GET /" + "a" * 300 + " HTTP/1.1\r\nHost: x\r\n\r\n",
    "two-requests": "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /api/v1/stats HTTP/1.1\r\nHost: x\r\n\r\n",
    "incomplete": "GET /api/v1/sites/ag-a?range=7",
}

HTTP_HEADER_SEEDS = {
    "gzip": "gzip",
    "list": "br;q=1.0, gzip;q=0.5, *;q=0",
    "gzip-q0": "gzip;q=0.000, x-gzip; q=0",
    "etag": "\"3f2a-5e1c\", W/\"abc\"",
    "star": "*",
    "range": "24h",
    "time": "2029-02-14T06:00:00.000Z",
    "web-name": "js/app.min.js",
    "web-hidden": "a/.git/config",
}


def stamp_seeds():
    """Byte 0: 20 packets; byte 1: clocks synchronised. Then datagrams:
    [length][arrival ns after its packet left][flags][datagram]."""
    def reflected(seq, size=44):
        pkt = bytearray(size)
        t2 = 0xE9C3A9AE10000000 + (seq << 20)
        struct.pack_into(">IQH", pkt, 0, seq, t2 + 0x100000, 0x8001)   # T3: 0.24 ms later
        struct.pack_into(">Q", pkt, 16, t2)
        struct.pack_into(">I", pkt, 24, seq)                           # sender seq
        struct.pack_into(">H", pkt, 36, 0x8001)
        pkt[40] = 64
        return bytes(pkt)

    def dgram(pkt, after_ns, flags):
        return struct.pack(">HIB", len(pkt), after_ns, flags) + pkt

    train = bytes([19, 0x03])
    every = train + b"".join(dgram(reflected(i), 10_000_000 + i * 1000, 1) for i in range(20))
    late_dup = train + dgram(reflected(0), 2_000_000_000, 1) + dgram(reflected(1), 9_000_000, 1) \
        + dgram(reflected(1), 9_500_000, 1) + dgram(reflected(3), 9_000_000, 1) \
        + dgram(reflected(2), 9_000_000, 1)
    return {
        "all-back": every,
        "late-dup-reordered": late_dup,
        "padded": train + dgram(reflected(0, 1472), 5_000_000, 1),
        "short": train + dgram(b"\x00" * 43, 1, 0),
        "stray": train + dgram(reflected(5), 1, 0),
        "refused": bytes([0, 0x80]) + dgram(b"", 0, 2),
    }


def icmp_seeds():
    def echo(kind, ident, seq, cookie, size=56):
        payload = b"PNTU" + struct.pack(">IHH", cookie, seq, ident)
        payload += bytes((i & 0xff) for i in range(size - len(payload)))
        return bytes([kind, 0]) + b"\x00\x00" + struct.pack(">HH", ident, seq) + payload

    ipv4 = bytes([0x45, 0, 0, 84, 0, 0, 0x40, 0, 64, 1, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1])
    ipv4_opts = bytes([0x46]) + ipv4[1:] + b"\x01\x01\x01\x00"
    ident = b"\x12\x34"
    return {
        "ping4": bytes([4]) + ident + echo(0, 0x1234, 7, 0xDEADBEEF),
        "raw4": bytes([6]) + ident + ipv4 + echo(0, 0x1234, 1, 42),
        "raw4-options": bytes([6]) + ident + ipv4_opts + echo(0, 0x1234, 2, 42),
        "ping6": bytes([1]) + ident + echo(129, 0x1234, 3, 9),
        "raw6": bytes([3]) + ident + echo(129, 0x1234, 65535, 9, 1472),
        "request-not-reply": bytes([4]) + ident + echo(8, 0x1234, 1, 1),
        "bad-checksum": bytes([0]) + ident + echo(0, 0x1234, 1, 1),
        "short": bytes([6]) + ident + ipv4[:12],
    }


def path_seeds():
    def cmsg(origin, kind, code, addr, level=0, ctype=11):
        ee = struct.pack("=IBBBBII", 113, origin, kind, code, 0, 0, 0)
        sin = struct.pack("=H2s4s8s", 2, b"\x82\x9a", bytes(addr), b"")
        body = ee + sin
        return struct.pack("=Qii", 16 + len(body), level, ctype) + body

    def seed(proto, control, quoted):
        return bytes([proto, len(control)]) + control + quoted

    hop = [198, 18, 0, 1]
    echo = bytes([8, 0, 0xf7, 0xff, 0, 7, 0, 42]) + bytes(8)
    return {
        "udp-time-exceeded": seed(0, cmsg(2, 11, 0, hop), b"\x00\x05" + bytes(30)),
        "udp-port-unreachable": seed(0, cmsg(2, 3, 3, [198, 18, 1, 2]), b"\x00\x09"),
        "udp-no-quote": seed(0, cmsg(2, 11, 0, hop), b""),
        "icmp-time-exceeded": seed(1, cmsg(2, 11, 0, hop), echo),
        "local-error": seed(0, cmsg(1, 0, 0, [0, 0, 0, 0]), b"\x00\x01"),
        "short-cmsg": seed(0, cmsg(2, 11, 0, hop)[:20], b"\x00\x01"),
        "two-cmsgs": seed(1, cmsg(2, 0, 0, hop, 1, 29) + cmsg(2, 11, 0, hop), echo),
    }


def passive_seeds():
    def ip4(proto, l4):
        return (bytes([0x45, 0]) + struct.pack(">H", 20 + len(l4)) + bytes([0, 0, 0x40, 0, 64, proto, 0, 0])
                + bytes([198, 18, 0, 1, 198, 19, 0, 2]) + l4)

    def tcp(flags, tsval, tsecr, payload=b""):
        opts = bytes([1, 1, 8, 10]) + struct.pack(">II", tsval, tsecr)
        return struct.pack(">HHIIBBHHH", 40000, 443, 1000, 2000, 8 << 4, flags, 65535, 0, 0) + opts + payload

    def udp53(flags):
        dns = struct.pack(">HHHHHH", 0xbeef, flags, 1, 0, 0, 0)
        return struct.pack(">HHHH", 33000, 53, 8 + len(dns), 0) + dns

    def eth(ethertype, body):
        return bytes(12) + struct.pack(">H", ethertype) + body

    syn = ip4(6, tcp(0x02, 1, 0))
    ip6 = (bytes([0x60, 0, 0, 0]) + struct.pack(">H", 8 + 32) + bytes([0, 64]) + bytes([0x20]) + bytes(15)
           + bytes(15) + bytes([1]) + bytes([6, 0, 1, 4, 0, 0, 0, 0]) + tcp(0x12, 9, 8))
    return {
        "eth-syn": bytes([0]) + eth(0x0800, syn),
        "eth-data": bytes([0]) + eth(0x0800, ip4(6, tcp(0x18, 77, 55, bytes(10)))),
        "eth-qinq": bytes([0]) + eth(0x88a8, bytes([0, 5, 0x81, 0, 0, 6, 0x08, 0]) + syn),
        "eth-ipv6-hbh": bytes([0]) + eth(0x86dd, ip6),
        "eth-dns-query": bytes([0]) + eth(0x0800, ip4(17, udp53(0x0100))),
        "eth-dns-servfail": bytes([0]) + eth(0x0800, ip4(17, udp53(0x8182))),
        "raw-syn": bytes([1]) + syn,
        "sll-syn": bytes([2]) + bytes(14) + b"\x08\x00" + syn,
        "sll2-ipv6": bytes([3]) + b"\x86\xdd" + bytes(18) + ip6,
        "truncated": bytes([0]) + eth(0x0800, syn)[:40],
        "arp": bytes([0]) + eth(0x0806, bytes(28)),
    }


# ---- INI files ----

def dns_seeds():
    def reply(flags2, flags3, ancount, body=b""):
        return (bytes([0x12, 0x34, flags2, flags3, 0, 1]) + ancount.to_bytes(2, "big") +
                b"\0\0\0\0" + body)
    question = b"\x02ok\x06pantau\x04test\x00\x00\x01\x00\x01"
    answer = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc6\x12\x00\x07"
    return {
        "noerror": reply(0x81, 0x80, 1, question + answer),
        "nxdomain": reply(0x81, 0x83, 0, question),
        "servfail": reply(0x81, 0x82, 0, question),
        "refused-ad": reply(0x81, 0xa5, 0, question),
        "truncated": reply(0x83, 0x80, 6, question),
        "query-not-reply": reply(0x01, 0x00, 0, question),
        "short": b"\x12\x34\x81\x80\x00",
        "rcode15": reply(0x81, 0x8f, 0xffff),
    }


def example(name):
    with open(os.path.join(ROOT, "deploy", name), encoding="utf-8") as f:
        return f.read()


AGENT_SEEDS = {
    "example": lambda: example("agent.ini.example"),
    "minimal": lambda: "[agent]\nid = ag-1\nregion = 32.73\nsite = s\nlink = vsat-geo\n",
    "probes": lambda: ("[agent]\nid=ag-1\nregion=95.01\nsite=Puskesmas\nlink=cellular\ninterval=20\n"
                       "counting_interval=5\n[probe.gw]\ntype=icmp\ntarget=[::1]\ncount=3\n"
                       "[probe.r]\ntype=stamp\ntarget=[2001:db8::1]:862\ninterval=3600\n"
                       "[probe.t]\ntype=tcp\ntarget=h:1\n"),
    "errors": lambda: ("[agent]\nid = ag 1\ninterval = 2\noutbox_batches = 5\n[brokr]\nx=1\n"
                       "[probe.x]\ntype = carrier\n[probe.gw]\ncount = many\nname = a\nname = b\n"
                       "this line has no equals sign\n"),
    "long-line": lambda: "[agent]\nsite = " + "x" * 250 + "\n",
}
COLLECTOR_SEEDS = {
    "example": lambda: example("collector.ini.example"),
    "errors": lambda: ("[collector]\ndatabase = /tmp/x.db\n[api]\nport = 99999\n"
                       "[store]\nsynchronous = sometimes\nretain_days = 1\n[broker]\nport = 1884\n"
                       "[alerts]\ntelegram_url = https://api.telegram.example/\n"),
    "counting": lambda: ("[counting]\nstart = 2029-02-14T06:00\nend = 2029-02-16T16:59\n"
                         "[replay]\nwindow = 86400\n[store]\nretain_days = 30\n"),
}
REFLECTOR_SEEDS = {
    "example": lambda: example("reflector.ini.example"),
    "errors": lambda: "[http]\nper_client = 100\nmax_connections = 10\n[stamp]\nrate_pps = 0\n",
}
PROFILES_SEEDS = {
    "doc": lambda: ("[link.cellular]             ; every cellular site\nrtt_p95_degraded_ms = 200\n\n"
                    "[site.ag-9501-0001]         ; one site\nlink = vsat-geo             ; over what its agent says\n"
                    "loss_degraded_pct = 5\nlatitude = -4.09\nlongitude = 138.95\n"),
    "every-link": lambda: "".join(f"[link.{l}]\nloss_critical_pct = 20\nhttp_critical_failures = 5\n"
                                  for l in ("fiber", "microwave", "cellular", "vsat-geo", "vsat-leo")),
    "errors": lambda: ("[link.fiber]\nrtt_p95_critical_ms = 100\n[link.pigeon]\n[site.a]\nlatitude = 1\n"
                       "[site.a]\nlatitude = 2\n[other]\nk = v\n"),
    "sites": lambda: "".join(f"[site.ag-1{i}]\njitter_degraded_ms = {i}\n" for i in range(20)),
}


# ---- enrolment (tests/fuzz/fuzz_enrol.c: the first byte picks the parser) ----

def openssl(*args, stdin=None):
    """PEM text made by the openssl program: only for writing seeds (the product uses
    libcrypto, never this program)."""
    import subprocess
    return subprocess.run(["openssl", *args], input=stdin, capture_output=True, check=True).stdout


def enrol_seeds():
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        key = os.path.join(d, "k.pem")
        rsa = os.path.join(d, "r.pem")
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key)
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", rsa)
        csr = openssl("req", "-new", "-key", key, "-subj", "/CN=ag-3273-0001")
        other = openssl("req", "-new", "-key", key, "-subj", "/CN=ag-9501-0002")
        empty = openssl("req", "-new", "-key", key, "-subj", "/")
        weak = openssl("req", "-new", "-key", rsa, "-subj", "/CN=ag-3273-0001")
        cert = openssl("req", "-x509", "-key", key, "-subj", "/CN=ag-3273-0001", "-days", "365")
        with open(key, "rb") as f:
            keypem = f.read()
    reply = ('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n'
             '{"agent":"ag-3273-0001","cert":"-----BEGIN CERTIFICATE-----\\n"}').encode()
    return {
        "csr": b"\x00" + csr, "csr-other-agent": b"\x00" + other, "csr-no-subject": b"\x00" + empty,
        "csr-weak-rsa": b"\x00" + weak, "csr-truncated": b"\x00" + csr[:len(csr) // 2],
        "renew-foreign-cert": b"\x01" + cert, "renew-csr-not-cert": b"\x01" + csr,
        "pem-cert": b"\x02" + cert, "pem-key": b"\x02" + keypem, "pem-both": b"\x02" + cert + keypem,
        "reply-ok": b"\x03" + reply, "reply-refused": b"\x03HTTP/1.1 409 Conflict\r\n\r\n"
        b'{"error":"used","reason":"token_used"}', "reply-no-head": b"\x03HTTP/1.1 200 OK\r\n",
        "reply-not-http": b"\x03SSH-2.0-OpenSSH_9.2\r\n\r\n",
        "url-https": b"\x04https://collector.example:8443", "url-v6": b"\x04https://[2001:db8::1]:443/x",
        "url-plain-remote": b"\x04http://collector.example", "url-plain-loopback": b"\x04http://127.0.0.1:8080",
    }


# ---- dictionaries ----

def json_tokens():
    with open(os.path.join(ROOT, "docs", "protocol.md"), encoding="utf-8") as f:
        names = set(re.findall(r'"([a-z_][a-z0-9_]*)":', f.read()))
    names |= {"probe", "target", "result", "kind", "params", "budget", "limit_bytes",
              "used_bytes", "spent_bytes", "maxrss_kb", "cpu_ms", "timeout_ms", "name"}
    tokens = {f'"{n}":' for n in names}
    tokens |= {'{', '}', '[', ']', ',', ':', 'true', 'false', 'null', '""', '-1', '0', '1e308',
               '9007199254740992', '0.000001', '\\u0000', '\\ud800', '"2024-02-14T06:00:30.125Z"'}
    return tokens


def ini_tokens():
    with open(os.path.join(ROOT, "docs", "configuration.md"), encoding="utf-8") as f:
        text = f.read()
    keys = set(re.findall(r"^\| `([a-z_0-9]+)` \|", text, re.M))
    sections = set(re.findall(r"\[([a-z]+\.?[A-Za-z]*)\]", text))
    tokens = {f"{k} = " for k in keys} | {f"[{s}]" for s in sections}
    tokens |= {"[probe.", "[site.", "[link.", "\n", " ; ", "# ", "true", "false", "yes", "0x10",
               "-1", "1e999", "nan", "inf", "fiber", "vsat-geo", "icmp", "stamp", "http",
               "throughput", "upload_task", "tcp"}
    return tokens


def http_tokens():
    return {"GET ", "HEAD ", "POST ", " HTTP/1.1\r\n", " HTTP/1.0\r\n", "\r\n", "\r\n\r\n",
            "Host: ", "Accept-Encoding: ", "If-None-Match: ", "Connection: close",
            "Content-Length: ", "Transfer-Encoding: chunked", "gzip", "x-gzip", ";q=0", ";q=1",
            "W/\"", "/api/v1/", "regions", "sites", "events", "stats", "overview", "alerts",
            "/metrics", "/healthz", "/ui/", "?province=", "range=", "since=", "limit=",
            "scope=", "&", "%2e", "%00", "32.73", "3273", "ag-a", "1h", "24h", "7d"}


def write_dict(name, tokens):
    os.makedirs(DICT, exist_ok=True)
    lines = []
    for t in sorted(tokens):
        esc = "".join(c if 0x20 <= ord(c) < 0x7f and c not in '"\\' else
                      "\\" + c if c in '"\\' else f"\\x{ord(c):02x}" for c in t)
        lines.append(f'"{esc}"')
    with open(os.path.join(DICT, name + ".dict"), "w", encoding="ascii") as f:
        f.write("# written by tests/fuzz/seeds.py\n" + "\n".join(lines) + "\n")


def write_corpus(harness, seeds):
    d = os.path.join(CORPUS, harness)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        if callable(data):
            data = data()
        if isinstance(data, str):
            data = data.encode("utf-8")
        with open(os.path.join(d, "seed-" + name), "wb") as f:
            f.write(data)


def main():
    corpora = {
        "wire_batch": BATCH_SEEDS, "wire_status": STATUS_SEEDS, "wire_cmd": CMD_SEEDS,
        "wire_reply": REPLY_SEEDS,
        "wire_topic": TOPIC_SEEDS, "mode": MODE_SEEDS,
        "worker_request": WORKER_REQUEST_SEEDS, "worker_reply": WORKER_REPLY_SEEDS,
        "stamp": stamp_seeds(), "icmp": icmp_seeds(), "path": path_seeds(),
        "passive": passive_seeds(), "agent_config": AGENT_SEEDS,
        "collector_config": COLLECTOR_SEEDS, "reflector_config": REFLECTOR_SEEDS,
        "profiles": PROFILES_SEEDS, "api": API_SEEDS, "http_headers": HTTP_HEADER_SEEDS,
        "enrol": enrol_seeds, "dns": dns_seeds(),
    }
    for name, seeds in corpora.items():
        if callable(seeds):
            # Keys are random: made once, then kept, so a rerun changes nothing.
            if os.path.exists(os.path.join(CORPUS, name)):
                continue
            seeds = seeds()
        write_corpus(name, seeds)
    for name, tokens in (("json", json_tokens()), ("ini", ini_tokens()), ("http", http_tokens())):
        write_dict(name, tokens)


if __name__ == "__main__":
    main()
