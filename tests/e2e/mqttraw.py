"""A flooding MQTT 3.1.1 client on a bare socket, for the flood test and the
flood bench: QoS 0 publishes as fast as they are written, and at once a new
connection when the broker closes one (as the publish limit does to a client
over its limit, docs/deployment.md "Publish limit"), which mosquitto_pub does
not do (it stops)."""
import socket
import struct


def _varint(n):
    out = bytearray()
    while True:
        b, n = n % 128, n // 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _string(s):
    b = s.encode()
    return struct.pack("!H", len(b)) + b


def publish_packet(topic, payload):
    """A QoS 0 PUBLISH of payload (bytes) on topic."""
    body = _string(topic) + payload
    return b"\x30" + _varint(len(body)) + body


class Flooder:
    """Publishes packets on one connection to 127.0.0.1:port, logged in as
    user (None: anonymous); a connection the broker closed is replaced at the
    next send, counted in reconnects."""

    def __init__(self, port, user=None, password=None, client_id="flooder"):
        self.port, self.user, self.password, self.client_id = port, user, password, client_id
        self.sock = None
        self.connects = 0

    @property
    def reconnects(self):
        return max(0, self.connects - 1)

    def _connect(self):
        flags = 0x02                                  # clean session
        payload = _string(f"{self.client_id}-{self.connects}")
        if self.user is not None:
            flags |= 0x80 | 0x40
            payload += _string(self.user) + _string(self.password or "")
        body = _string("MQTT") + bytes([4, flags]) + struct.pack("!H", 60) + payload
        s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        s.sendall(b"\x10" + _varint(len(body)) + body)
        ack = b""
        while len(ack) < 4:
            chunk = s.recv(4 - len(ack))
            if not chunk:
                raise ConnectionError("the broker closed the connection before CONNACK")
            ack += chunk
        if ack[0] != 0x20 or ack[3] != 0:
            s.close()
            raise ConnectionError(f"CONNACK {ack.hex()}: refused")
        self.connects += 1
        self.sock = s

    def send(self, data):
        """Write data (packets), on a new connection when the broker closed
        the last one under it (tried twice); True when written."""
        for _ in range(2):
            try:
                if self.sock is None:
                    self._connect()
                self.sock.sendall(data)
                return True
            except OSError:
                self.close()
        return False

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None
