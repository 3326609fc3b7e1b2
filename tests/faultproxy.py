"""A fault-injecting TCP proxy on loopback, in front of an HTTP server (issue 12's fault tests).

Each request that reaches the proxy gets the next scripted fault (then, with `rate`, a fault
drawn at random with a fixed seed; otherwise it passes): the proxy speaks just enough HTTP/1.x to
read one request (headers and a Content-Length body), and handles one request per connection,
closing it afterwards. Faults, as a client sees them on the wire:

  DROP            the connection is closed before any answer (RemoteDisconnected)
  RESET           the connection is reset (RST, ECONNRESET)
  Status(...)     an answer made up by the proxy: e.g. Status(503), Status(429, retry_after="2")
  Stall(seconds)  no answer for `seconds` (past the client's timeout), then closed; the request
                  never reaches the server
  CUT             the request reaches the server, whose answer is cut mid-body (mid-header
                  when it has none): the server stored the statements, the client cannot know
  PASS            the request goes through

`requests` records (arrival time, fault, request line, body) of every request.
"""
import random
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass

PASS, DROP, RESET, CUT = "pass", "drop", "reset", "cut"


@dataclass(frozen=True)
class Status:
    code: int
    retry_after: str = None
    body: str = "fault injected by the proxy"


@dataclass(frozen=True)
class Stall:
    seconds: float


@dataclass
class Seen:
    at: float                  # time.monotonic() of arrival
    fault: object
    request_line: str
    body: bytes
    answered_at: float = None  # when a PASS or CUT request's answer came back from the server


REASONS = {400: "Bad Request", 401: "Unauthorized", 413: "Payload Too Large", 429: "Too Many Requests",
           500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


class FaultProxy:
    def __init__(self, upstream_port, faults=(), rate=0.0, choices=(DROP, RESET, Status(500), Status(503), CUT),
                 seed=12):
        self.upstream = ("127.0.0.1", upstream_port)
        self.faults = deque(faults)
        self.rate, self.choices, self.random = rate, list(choices), random.Random(seed)
        self.requests = []
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def close(self):
        self.running = False
        self.listener.close()

    def passed(self):
        """The requests that reached the server (PASS and CUT)."""
        return [seen for seen in self.requests if seen.fault in (PASS, CUT)]

    # --- serving ---------------------------------------------------------------------------

    def _accept(self):
        while self.running:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _next_fault(self):
        with self.lock:
            if self.faults:
                return self.faults.popleft()
            if self.rate and self.random.random() < self.rate:
                return self.random.choice(self.choices)
            return PASS

    def _serve(self, conn):
        try:
            head, body = _read_request(conn)
            if head is None:
                return
            fault = self._next_fault()
            seen = Seen(time.monotonic(), fault, head.split(b"\r\n", 1)[0].decode("latin-1"), body)
            with self.lock:
                self.requests.append(seen)
            if fault == DROP:
                return
            if fault == RESET:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            if isinstance(fault, Stall):
                time.sleep(fault.seconds)
                return
            if isinstance(fault, Status):
                conn.sendall(_made_up(fault))
                return
            answer = _forward(self.upstream, head, body)
            seen.answered_at = time.monotonic()
            if fault == CUT:
                header_end = answer.index(b"\r\n\r\n") + 4
                cut = header_end + max(1, (len(answer) - header_end) // 2)
                answer = answer[:cut] if len(answer) > header_end else answer[:header_end // 2]
            conn.sendall(answer)
        except OSError:
            pass
        finally:
            conn.close()


def _read_request(conn):
    """(head bytes, body bytes) of one request, or (None, None) when the client closed first."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None, None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None, None
        body += chunk
    return head, body


def _forward(upstream, head, body):
    """The server's whole answer to the request, sent on a fresh connection closed after it."""
    lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"connection:")]
    with socket.create_connection(upstream, timeout=30) as server:
        server.sendall(b"\r\n".join(lines + [b"Connection: close"]) + b"\r\n\r\n" + body)
        answer = b""
        while True:
            chunk = server.recv(65536)
            if not chunk:
                return answer
            answer += chunk


def _made_up(status):
    body = status.body.encode()
    headers = ["HTTP/1.1 %d %s" % (status.code, REASONS.get(status.code, "Fault")), "Content-Type: text/plain",
               "Content-Length: %d" % len(body), "Connection: close"]
    if status.retry_after is not None:
        headers.append("Retry-After: %s" % status.retry_after)
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + body
