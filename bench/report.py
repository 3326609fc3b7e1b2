"""The table: each figure against its target (PASS/FAIL) and whether every answer was right."""
import sys

from .workload import QUERY_KINDS


TARGETS = {
    # figure: (comparison, target, unit); issue 16 where it sets one, else issue 6
    "batch_ingest": (">=", 12000, "statements/s"),           # 4 clients, batches of 100
    "single_ingest": (">=", 1500, "statements/s"),           # 8 clients
    "get_by_id": ("<=", 5.0, "ms p95"),
    "read_all": (">=", 20000, "statements/s"),
    "peak_rss": ("<=", 200.0, "MB per worker"),
    "db_size": ("<=", 1500, "bytes per statement"),
}
for _kind in QUERY_KINDS:
    TARGETS["query_" + _kind] = ("<=", 10.0, "ms p95")        # 1,000,000 statements, 4 clients
    TARGETS["rw_query_" + _kind] = ("<=", 25.0, "ms p95")     # 4 writers at half the batch rate



def _cpu(phase):
    """"; CPU per statement: server X us, clients Y us" when the phase measured it."""
    if phase.get("server_cpu_us") is None:
        return ""
    return "; CPU per statement: server %.0f us, clients %.0f us" % (phase["server_cpu_us"], phase.get("clients_cpu_us", 0))

def verdict(name, value):
    if value is None or name not in TARGETS:
        return "—"
    op, target, _ = TARGETS[name]
    ok = value >= target if op == ">=" else value <= target
    return "PASS" if ok else "FAIL"


def build_rows(r):
    rows = []

    def add(name, label, value, fmt, failures, extra=""):
        target = TARGETS.get(name)
        target_text = "%s %s" % (target[0].replace(">=", "≥").replace("<=", "≤"),
                                 ("{:,}".format(target[1]) if isinstance(target[1], int) else target[1])) \
            if target else ""
        rows.append((label, fmt % value if value is not None else "n/a", target_text,
                     verdict(name, value), "ok" if not failures else "%d WRONG" % failures, extra))

    ph = r["phases"]
    for synchronous, f in sorted((r.get("floor") or {}).items()):
        rows.append(("in-process floor (synchronous=%s), batch st/s" % synchronous, "%.0f" % f["batch_per_s"],
                     "", "—", "", "one process: parse, light check, indexed SQLite insert, no HTTP"))
        rows.append(("in-process floor (synchronous=%s), single st/s" % synchronous, "%.0f" % f["single_per_s"],
                     "", "—", "", "one statement per transaction"))
    floor = (r.get("floor") or {}).get("FULL")
    if "batch_ingest" in ph:
        b = ph["batch_ingest"]
        add("batch_ingest", "batch ingest (%d x %d, %d clients), st/s" % (b["requests"], b["batch"], b["clients"]),
            b["statements_per_s"], "%.0f", b["errors"],
            "POST p50 %.0f / p95 %.0f ms%s%s" % (b["request_latency"]["p50_ms"] or 0, b["request_latency"]["p95_ms"] or 0,
                                                 "; %.0f%% of the floor" % (100 * b["statements_per_s"] / floor["batch_per_s"])
                                                 if floor else "", _cpu(b)))
    if "single_ingest" in ph:
        s = ph["single_ingest"]
        add("single_ingest", "single ingest (%d clients), st/s" % s["clients"], s["statements_per_s"], "%.0f",
            s["errors"], "POST p50 %.1f / p95 %.1f ms%s%s" % (
                s["request_latency"]["p50_ms"] or 0, s["request_latency"]["p95_ms"] or 0,
                "; %.0f%% of the floor" % (100 * s["statements_per_s"] / floor["single_per_s"]) if floor else "",
                _cpu(s)))
    if "bulk_load" in ph:
        b = ph["bulk_load"]
        add("bulk_load", "bulk load to %s, st/s (gen. on the fly)" % "{:,}".format(r["meta"]["store_size"]),
            b["statements_per_s"], "%.0f", b["errors"], "%.0f s" % b["seconds"])
    if "get_by_id" in ph:
        g = ph["get_by_id"]
        add("get_by_id", "GET by statementId, p95 ms", g["p95_ms"], "%.2f", g["failures"],
            "p50 %.2f / p99 %.2f" % (g["p50_ms"], g["p99_ms"]))
    def queries(prefix, label, found):
        for kind in QUERY_KINDS:
            q = found.get(kind)
            if q:
                add(prefix + kind, "%s%s, p95 ms" % (label, kind.replace("_", "+" if kind == "agent_verb" else "/")
                                                  .replace("activity/related", "activity+related")),
                    q["p95_ms"], "%.2f", q["failures"],
                    "p50 %.2f / p99 %.2f, %.0f st/answer, %d clients" % (
                        q["p50_ms"], q["p99_ms"], q["returned_per_query"], q.get("clients", 1)))

    queries("query_", "query (%s st) " % "{:,}".format(r["meta"]["store_size"]), ph.get("queries", {}))
    if "known_subsets" in ph:
        k = ph["known_subsets"]
        n = sum(len(v) for key, v in k.items() if isinstance(v, list)) + 1
        rows.append(("known subsets paged to the end (%d)" % n, "", "", "—",
                     "ok" if not k["failures"] else "%d WRONG" % k["failures"], ""))
    if "read_all" in ph:
        a = ph["read_all"]
        add("read_all", "read all %s through more, st/s" % "{:,}".format(a["statements"]),
            a["statements_per_s"], "%.0f", a["failures"],
            "%d pages of %d; %.0f st/s with the client's checks" % (a["pages"], a["page_limit"],
                                                                      a["wall_statements_per_s"]))
    if "reads_during_writes" in ph:
        w = ph["reads_during_writes"]
        add("rw_writes", "reads during writes: writers' st/s", w["statements_per_s"], "%.0f", w["errors"],
            "%d writers paced at %.0f st/s in all; time spent generating bodies during the phase: %.1f s"
            % (w["clients"], w["target_rate"], w.get("client_generate_s", 0.0)))
        queries("rw_query_", "reads during writes: ", w["queries"])
    for size, step in sorted((ph.get("scaling") or {}).items(), key=lambda kv: int(kv[0])):
        rows.append(("at %s statements: ingest st/s, query p95 ms" % "{:,}".format(int(size)),
                     "%.0f" % step["ingest_per_s"], "", "—",
                     "ok" if not any(q["failures"] for q in step["queries"].values()) else "WRONG",
                     " ".join("%s %.1f" % (k, q["p95_ms"]) for k, q in step["queries"].items())))
    if "batch_ingest_full" in ph:
        b = ph["batch_ingest_full"]
        add("batch_ingest_full", "batch ingest into the full store, st/s", b["statements_per_s"], "%.0f",
            b["errors"], "POST p95 %.0f ms" % (b["request_latency"]["p95_ms"] or 0))
    if r.get("rss"):
        m = r["rss"]
        add("peak_rss", "peak RSS per worker, MB", m["max_worker_mb"], "%.0f", 0,
            "%d workers seen: %s" % (len(m["workers_mb"]), ", ".join("%.0f" % v for v in m["workers_mb"].values())))
    if r.get("soak"):
        s = r["soak"]
        samples = s["rss_mb"]
        rows.append(("soak: worker RSS MB, first / last sample", "%s / %s" % (
            samples[0][1:] if samples else "", samples[-1][1:] if samples else ""), "", "—", "",
            "%d s, %s statements written at %.0f st/s" % (samples[-1][0] if samples else 0,
                                                         "{:,}".format(s["statements"]), s["statements_per_s"])))
    if r.get("db_size"):
        d = r["db_size"]
        at_rest = d.get("at_rest_bytes_per_statement")
        add("db_size", "database bytes per statement (at rest)" if at_rest else "database bytes per statement",
            at_rest if at_rest else d["bytes_per_statement"], "%.0f", 0,
            "%.0f MB for %s statements; %.0f B/st while running (with the WAL)%s" % (
                d.get("at_rest", d["total"]) / 1e6, "{:,}".format(d["statements"]), d["bytes_per_statement"],
                "; " + ", ".join("%s %.0f" % (name, size / d["statements"]) for name, size in d["by_table"].items())
                if d.get("by_table") else ""))
    return rows


def print_table(rows, out=sys.stdout):
    header = ("figure", "measured", "target", "", "answers", "notes")
    widths = [max(len(str(row[c])) for row in rows + [header]) for c in range(len(header))]
    line = lambda row: "| " + " | ".join(str(v).ljust(widths[c]) for c, v in enumerate(row)) + " |"
    print(line(header), file=out)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|", file=out)
    for row in rows:
        print(line(row), file=out)
