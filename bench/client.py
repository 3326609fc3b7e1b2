"""HTTP to the LRS under test: where it is (Endpoint), one keep-alive connection (Client), and
the small helpers every part uses (percentiles, timestamps, a free port)."""
import base64
import datetime
import http.client
import socket
import urllib.parse

VERSION_HEADER = "1.0.3"


def percentile(values, p):
    if not values:
        return None
    s = sorted(values)
    k = (len(s) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def latency_summary(seconds):
    ms = [x * 1000.0 for x in seconds]
    return {"n": len(ms), "p50_ms": percentile(ms, 50), "p95_ms": percentile(ms, 95),
            "p99_ms": percentile(ms, 99), "max_ms": max(ms) if ms else None}


def parse_instant_ms(text):
    """Milliseconds since the epoch of an xAPI timestamp."""
    t = text.strip()
    if t.endswith(("Z", "z")):
        t = t[:-1] + "+00:00"
    if "." in t:                                    # fromisoformat wants 3 or 6 fraction digits
        head, _, rest = t.partition(".")
        digits = ""
        while rest and rest[0].isdigit():
            digits += rest[0]
            rest = rest[1:]
        t = head + "." + (digits + "000000")[:6] + rest
    dt = datetime.datetime.fromisoformat(t)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return int(round(dt.timestamp() * 1000))


def format_ms(ms):
    dt = datetime.datetime.fromtimestamp(ms / 1000.0, tz=datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Endpoint:
    """Where the LRS is and how to talk to it; picklable for the client processes."""

    def __init__(self, url, key, secret):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "http":
            raise SystemExit("--url must be http://127.0.0.1:PORT[/base]")
        if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit("the benchmark only drives a server on this machine (127.0.0.1)")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.base = parts.path.rstrip("/")
        self.auth = "Basic " + base64.b64encode(("%s:%s" % (key, secret)).encode()).decode()

    def statements_path(self, query=None):
        path = self.base + "/xapi/statements"
        return path + ("?" + urllib.parse.urlencode(query) if query else "")


class Client:
    """One keep-alive HTTP connection (reopened whenever the server closes it)."""

    def __init__(self, endpoint, timeout=300):
        self.endpoint = endpoint
        self.timeout = timeout
        self.conn = None
        self.headers = {"Authorization": endpoint.auth, "X-Experience-API-Version": VERSION_HEADER}

    def _connect(self):
        self.conn = http.client.HTTPConnection(self.endpoint.host, self.endpoint.port,
                                               timeout=self.timeout)

    def request(self, method, path, body=None):
        """(status, body bytes, headers); one retry on a dropped keep-alive connection."""
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (0, 1):
            if self.conn is None:
                self._connect()
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                if response.will_close:
                    self.conn.close()
                    self.conn = None
                return response.status, data, response
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.CannotSendRequest, http.client.BadStatusLine):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self):
        if self.conn is not None:
            self.conn.close()
