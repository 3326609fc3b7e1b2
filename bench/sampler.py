"""What the server costs: resident memory of its workers sampled while it runs, database bytes,
and (with --profile) py-spy hot spots."""
import os
import shutil
import signal
import subprocess
import sys
import threading

from . import hotspots


def child_pids(pid):
    """The processes `pid` started, from any of its threads (gunicorn's master starts its workers
    from its main thread, and managed children such as the SQLite writer from a watching thread)."""
    try:
        found = []
        for task in sorted(os.listdir("/proc/%d/task" % pid)):
            with open("/proc/%d/task/%s/children" % (pid, task)) as handle:
                found += [int(x) for x in handle.read().split()]
        return found
    except OSError:
        pass
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    children.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return children


def cpu_seconds(pid):
    """User + system CPU seconds of the process `pid` and of its children now alive (0 when gone)."""
    total = 0
    for one in [pid] + child_pids(pid):
        try:
            with open("/proc/%d/stat" % one) as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])          # utime, stime (clock ticks)
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def proc_memory_kb(pid):
    """(VmRSS, VmHWM) in kB, or None when the process is gone."""
    try:
        with open("/proc/%d/status" % pid) as handle:
            values = {}
            for line in handle:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    name, value = line.split(":", 1)
                    values[name] = int(value.split()[0])
        return values.get("VmRSS", 0), values.get("VmHWM", 0)
    except OSError:
        return None


class RssSampler(threading.Thread):
    """Samples every gunicorn worker's VmRSS/VmHWM twice a second; keeps each pid's peak."""

    def __init__(self, master_pid):
        super().__init__(daemon=True)
        self.master_pid = master_pid
        self.peak_kb = {}        # worker pid -> max VmHWM seen
        self.master_peak_kb = 0
        self.stopping = threading.Event()
        self.lock = threading.Lock()

    def sample(self):
        with self.lock:
            m = proc_memory_kb(self.master_pid)
            if m:
                self.master_peak_kb = max(self.master_peak_kb, m[1])
            for pid in child_pids(self.master_pid):
                mem = proc_memory_kb(pid)
                if mem:
                    self.peak_kb[pid] = max(self.peak_kb.get(pid, 0), mem[0], mem[1])

    def run(self):
        while not self.stopping.wait(0.5):
            self.sample()

    def workers(self):
        return child_pids(self.master_pid)

    def current_kb(self):
        """{worker pid: VmRSS in kB} now."""
        return {pid: mem[0] for pid, mem in ((pid, proc_memory_kb(pid)) for pid in child_pids(self.master_pid))
                if mem}

    def stop(self):
        self.stopping.set()
        self.sample()


def sqlite_size(path):
    sizes = {}
    for suffix in ("", "-wal", "-shm"):
        try:
            sizes["file" + suffix] = os.path.getsize(path + suffix)
        except OSError:
            sizes["file" + suffix] = 0
    sizes["total"] = sizes["file"] + sizes["file-wal"]
    return sizes


def sqlite_at_rest(path, top=8):
    """The database file once the server has stopped (its WAL checkpointed into the file) and
    the bytes of its largest tables and indexes (SQLite's dbstat table, when compiled in)."""
    import sqlite3
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")        # whatever a stopped worker left
        sizes = {"at_rest": os.path.getsize(path) + (os.path.getsize(path + "-wal")
                                                      if os.path.exists(path + "-wal") else 0)}
        try:
            sizes["by_table"] = dict(conn.execute(
                "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT %d" % top).fetchall())
        except sqlite3.Error:
            pass                                            # no dbstat in this SQLite build
    finally:
        conn.close()
    return sizes


def mongo_size(url):
    import pymongo
    client = pymongo.MongoClient(url, serverSelectionTimeoutMS=5000)
    try:
        stats = client.get_default_database().command("dbStats")
        return {"dataSize": stats.get("dataSize"), "storageSize": stats.get("storageSize"),
                "indexSize": stats.get("indexSize"),
                "total": int(stats.get("storageSize", 0)) + int(stats.get("indexSize", 0))}
    finally:
        client.close()


class Profiler:
    """py-spy record (raw collapsed stacks) of every worker while one phase runs."""

    def __init__(self, outdir, master_pid, rate, tag):
        self.outdir = outdir
        self.master_pid = master_pid
        self.rate = rate
        self.tag = tag
        self.procs = []
        self.files = []

    def start(self):
        exe = shutil.which("py-spy", path=os.path.dirname(sys.executable) + os.pathsep
                           + os.environ.get("PATH", ""))
        if not exe:
            print("  (py-spy not found: pip install py-spy into the venv to profile)", flush=True)
            return
        for stale in os.listdir(self.outdir):          # earlier runs' stacks of this phase
            if stale.startswith("pyspy-%s-" % self.tag):
                os.remove(os.path.join(self.outdir, stale))
        for pid in child_pids(self.master_pid):
            out = os.path.join(self.outdir, "pyspy-%s-%d.txt" % (self.tag, pid))
            self.files.append(out)
            self.procs.append(subprocess.Popen(
                [exe, "record", "--pid", str(pid), "--rate", str(self.rate), "--format", "raw",
                 "--nonblocking", "--output", out],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)        # py-spy writes its output on SIGINT
        for p in self.procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        files = [f for f in self.files if os.path.exists(f) and os.path.getsize(f)]
        if not files:
            errors = b" ".join((p.stderr.read() or b"")[:300] for p in self.procs if p.stderr)
            return {"error": "no profile written: %s" % errors.decode(errors="replace")}
        summary = hotspots.summarise(hotspots.parse(files), top=25)
        summary["files"] = files
        return summary
