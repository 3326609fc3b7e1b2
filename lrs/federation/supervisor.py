"""The forwarder as a managed child of the gunicorn master (LRS_FORWARDER=1, issue 12).

The embedded single-machine set-up then needs no second command: deploy/gunicorn.conf.py starts
`python -m lrs forward` when the master is ready, restarts it (after a back-off that grows while it
keeps failing) whenever it exits, and stops it with SIGTERM when the master exits. Only the
standard library is imported here: the master must not load the LRS's code (its workers would run
that copy after a HUP).

The gunicorn master reaps every child on SIGCHLD, this one included; the watching thread therefore
polls rather than waits, and treats a child it can no longer wait for as exited.
"""
import os
import subprocess
import sys
import threading
import time


class ForwarderSupervisor:
    def __init__(self, root, argv=None, log=None, min_restart_s=1.0, max_restart_s=60.0, poll_s=0.5):
        self.root = root
        self.argv = argv or [sys.executable, "-m", "lrs", "forward"]
        self.log = log
        self.min_restart_s, self.max_restart_s, self.poll_s = min_restart_s, max_restart_s, poll_s
        self.process = None
        self.starts = 0
        self._stopping = threading.Event()
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self._watch, name="lrs-forwarder-supervisor", daemon=True)
        self._thread.start()

    def _spawn(self):
        self.process = subprocess.Popen(self.argv, cwd=self.root, env=dict(os.environ))
        self.starts += 1
        self._say("info", "forwarder started (pid %d)" % self.process.pid)

    def _watch(self):
        delay = self.min_restart_s
        while not self._stopping.is_set():
            started = time.monotonic()
            self._spawn()
            while not self._stopping.is_set() and self._running():
                self._stopping.wait(self.poll_s)
            if self._stopping.is_set():
                return
            # a child that ran a while restarts soon; one that keeps failing, ever more slowly
            delay = self.min_restart_s if time.monotonic() - started > self.max_restart_s else min(
                delay * 2, self.max_restart_s)
            self._say("warning", "forwarder exited (code %s); restarting in %.0fs" % (self.process.returncode, delay))
            self._stopping.wait(delay)

    def _running(self):
        try:
            return self.process.poll() is None
        except ChildProcessError:                   # reaped by the master
            return False

    def stop(self, timeout_s=10.0):
        self._stopping.set()
        process = self.process
        if process is not None and self._running():
            process.terminate()
            try:
                process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
            except ChildProcessError:
                pass
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _say(self, level, message):
        if self.log is not None:
            getattr(self.log, level)(message)
