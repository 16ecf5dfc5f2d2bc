"""An ICMP echo responder with a script, for test_icmp_exact.py: run inside a
network namespace whose kernel does not answer echo requests itself
(net.ipv4.icmp_echo_ignore_all = 1). Per sequence number of the requests:
0 and 4: one reply at once; 1: two replies (a duplicate); 2: one reply after
LATE_S seconds (after the prober's timeout); 3: no reply (lost).

    python3 icmp_responder.py READY_FILE LATE_S
"""
import signal
import socket
import struct
import sys
import threading


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def reply_to(request):
    r = bytearray(request)
    r[0] = 0            # echo reply
    r[2:4] = b"\0\0"
    r[2:4] = struct.pack("!H", checksum(bytes(r)))
    return bytes(r)


def main():
    ready, late_s = sys.argv[1], float(sys.argv[2])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    with open(ready, "w") as f:
        f.write("ready\n")
    while True:
        data, addr = s.recvfrom(4096)
        icmp = data[(data[0] & 0x0f) * 4:]
        if len(icmp) < 8 or icmp[0] != 8:
            continue
        seq = struct.unpack("!H", icmp[6:8])[0]
        r = reply_to(icmp)
        if seq in (0, 4):
            s.sendto(r, (addr[0], 0))
        elif seq == 1:
            s.sendto(r, (addr[0], 0))
            s.sendto(r, (addr[0], 0))
        elif seq == 2:
            threading.Timer(late_s, s.sendto, (r, (addr[0], 0))).start()


if __name__ == "__main__":
    main()
