"""What one request costs the serving stack before the LRS does any work (issue 16).

    .venv/bin/python -m bench.stack_cost                  # 8 clients, 4,000 requests per probe
    .venv/bin/python -m bench.stack_cost --clients 8 --requests 8000 --rounds 2

Starts gunicorn with deploy/gunicorn.conf.py twice: once serving a WSGI function that answers
`{"status":"ok"}` and nothing else (gunicorn's own cost per request: HTTP parsing, its threads,
the socket), once serving the LRS on a fresh SQLite store. Then, from `--clients` processes each
on one keep-alive connection (as bench.run's clients), it sends each probe and prints requests/s,
the server's CPU per request (master, workers and their children, user + system, from /proc) and
the clients' CPU per request:

  bare gunicorn      GET /health of the WSGI function
  LRS /health        the LRS's Flask app, its middleware, request id, metrics and access log
  LRS /xapi/about    the same plus the xAPI blueprint's version header (no credentials)
  LRS statements GET authentication, version negotiation and a one-statement query
  LRS single POST    one statement per POST: everything ingest does (bench.run's single phase)

The rows bound what single-statement ingest can reach on the machine: 2 cores divided by the
server's and the clients' CPU per request. Not part of the test suite. Linux only (/proc).
"""
import argparse
import base64
import http.client
import multiprocessing
import os
import sys
import tempfile
import time

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.contention import cpu_split  # noqa: E402
from bench.generate import Generator  # noqa: E402
from bench.sampler import child_pids  # noqa: E402
from bench.server import Server  # noqa: E402

SEED = 17
OK_BODY = b'{"status":"ok"}'


def app(environ, start_response):
    """The bare WSGI function: what gunicorn costs with no application behind it."""
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(OK_BODY)))])
    return [OK_BODY]


def bare_server(workdir):
    """gunicorn with the LRS's configuration serving `app` above (which answers every path)."""
    return Server("sqlite:///" + os.path.join(workdir, "unused.sqlite3"), workdir, {"LRS_SKIP_PREFLIGHT": "1"},
                  app="bench.stack_cost:app")


def _client(port, requests_, barrier, results):
    """One client process: its requests on one keep-alive connection; its CPU time and failures."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    barrier.wait(120)
    cpu0, failures = time.process_time(), 0
    for method, path, headers, body in requests_:
        conn.request(method, path, body=body, headers=headers)
        answer = conn.getresponse()
        answer.read()
        failures += answer.status != 200
    results.put((time.process_time() - cpu0, failures))


def probe(server_pid, port, requests_, clients):
    """{requests_per_s, server_us, clients_us, failures} of sending `requests_` from `clients`."""
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(clients + 1), ctx.Queue()
    processes = [ctx.Process(target=_client, args=(port, requests_[n::clients], barrier, results))
                 for n in range(clients)]
    for process in processes:
        process.start()
    pids = [server_pid] + child_pids(server_pid)
    user0, system0 = cpu_split(pids)
    barrier.wait(120)
    started = time.perf_counter()
    answers = [results.get(timeout=600) for _ in processes]
    elapsed = time.perf_counter() - started
    user1, system1 = cpu_split(pids)
    for process in processes:
        process.join()
    count = len(requests_)
    return {"requests_per_s": count / elapsed,
            "server_us": ((user1 - user0) + (system1 - system0)) / count * 1e6,
            "server_system_us": (system1 - system0) / count * 1e6,
            "clients_us": sum(cpu for cpu, _ in answers) / count * 1e6,
            "failures": sum(failed for _, failed in answers)}


def lrs_probes(server, count):
    """[(name, requests)] for the LRS: /health, /xapi/about, a query, single POSTs."""
    credentials = base64.b64encode(("%s:%s" % (server.key, server.secret)).encode()).decode()
    xapi = {"Authorization": "Basic " + credentials, "X-Experience-API-Version": "1.0.3"}
    generator = Generator(SEED)
    post = dict(xapi, **{"Content-Type": "application/json"})
    return [
        ("LRS /health", [("GET", "/health", {}, None)] * count),
        ("LRS /xapi/about", [("GET", "/xapi/about", {"X-Experience-API-Version": "1.0.3"}, None)] * count),
        ("LRS statements GET (limit=1)", [("GET", "/xapi/statements?limit=1", xapi, None)] * count),
        ("LRS single POST", [("POST", "/xapi/statements", post, generator.statement_json(number).encode())
                             for number in range(count)]),
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=4000, help="requests per probe")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="lrs-stack-") as folder:
        for round_number in range(1, args.rounds + 1):
            bare = bare_server(folder)
            try:
                bare.wait_ready()
                probe(bare.pid, bare.port, [("GET", "/health", {}, None)] * 200, args.clients)   # warm
                rows.append((round_number, "bare gunicorn", probe(
                    bare.pid, bare.port, [("GET", "/health", {}, None)] * args.requests, args.clients)))
            finally:
                bare.stop()
            store = os.path.join(folder, "lrs-%d.sqlite3" % round_number)
            server = Server("sqlite:///" + store, folder, {})
            try:
                server.wait_ready()
                for name, requests_ in lrs_probes(server, args.requests):
                    probe(server.pid, server.port, requests_[:200] if name != "LRS single POST" else
                          [("GET", "/health", {}, None)] * 200, args.clients)                       # warm
                    rows.append((round_number, name, probe(server.pid, server.port, requests_, args.clients)))
            finally:
                server.stop()
    print("%d clients, %d requests per probe, each client on one keep-alive connection" % (args.clients, args.requests))
    print("| round | probe | requests/s | server CPU per request (system) | clients' CPU per request | failed |")
    print("| --- | --- | --- | --- | --- | --- |")
    for round_number, name, row in rows:
        print("| %d | %s | %.0f | %.0f us (%.0f) | %.0f us | %d |" % (
            round_number, name, row["requests_per_s"], row["server_us"], row["server_system_us"],
            row["clients_us"], row["failures"]))
    return 1 if any(row["failures"] for _, _, row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
