"""deploy/balanced_worker.py (issue 16): each worker takes a new connection only while no other
worker holds fewer, so that a few keep-alive clients use every worker (and core), not one."""
import http.client
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter

import pytest

from tests.deploy.test_gunicorn_serves import gunicorn  # noqa: F401  (the fixture)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_spec = importlib.util.spec_from_file_location("balanced_worker_under_test",
                                               os.path.join(ROOT, "deploy", "balanced_worker.py"))
balanced = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(balanced)


@pytest.fixture
def board_path(tmp_path):
    path = str(tmp_path / "board")
    balanced.ConnectionBoard.create(path)
    return path


@pytest.fixture
def board(board_path):
    opened = balanced.ConnectionBoard(board_path)
    yield opened
    opened.close()


def _dead_pid():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_a_new_board_has_no_worker_on_it(board):
    assert board.fewest_elsewhere(0) is None


def test_a_worker_sees_the_fewest_connections_another_live_worker_holds(board):
    mine = board.claim(os.getpid())
    other = board.claim(os.getppid())
    board.publish(mine, 1)
    balanced._SLOT.pack_into(board._map, other * balanced._SLOT.size, os.getppid(), 3)
    assert board.fewest_elsewhere(mine) == 3
    assert board.fewest_elsewhere(other) == 1


def test_the_slot_of_a_worker_gone_without_notice_is_ignored_and_reused(board):
    gone = _dead_pid()
    balanced._SLOT.pack_into(board._map, 0, gone, 0)
    assert board.fewest_elsewhere(5) is None
    assert board.claim(os.getpid()) == 0


def test_a_released_slot_is_free_for_the_next_worker(board):
    mine = board.claim(os.getpid())
    board.release(os.getpid())
    assert board.fewest_elsewhere(mine + 1) is None
    assert board.claim(os.getppid()) == mine


def test_workers_of_one_board_share_it_through_the_file(board_path, board):
    other = balanced.ConnectionBoard(board_path)
    try:
        slot = other.claim(os.getppid())
        balanced._SLOT.pack_into(other._map, slot * balanced._SLOT.size, os.getppid(), 2)
        assert board.fewest_elsewhere(slot + 1) == 2
    finally:
        other.close()


class FixedBoard:
    def __init__(self, fewest):
        self.fewest = fewest

    def fewest_elsewhere(self, index):
        return self.fewest


def test_a_worker_alone_always_accepts():
    assert balanced.AcceptPolicy(FixedBoard(None), 0).may_accept(50)


def test_a_worker_holding_no_more_than_the_least_busy_accepts():
    policy = balanced.AcceptPolicy(FixedBoard(2), 0)
    assert policy.may_accept(2) and policy.may_accept(1)


def test_a_worker_holding_more_than_another_defers_the_connection():
    assert not balanced.AcceptPolicy(FixedBoard(1), 0, clock=Clock()).may_accept(2)


def test_a_deferred_connection_is_taken_after_the_longest_deferral():
    clock = Clock()
    policy = balanced.AcceptPolicy(FixedBoard(0), 0, clock=clock, max_defer_s=0.05)
    assert not policy.may_accept(3)
    clock.now += 0.04
    assert not policy.may_accept(3)
    clock.now += 0.01
    assert policy.may_accept(3)                       # the peer never took it: this worker does
    assert not policy.may_accept(3)                   # the next connection waits afresh


def _worker_of_each_connection(url, count):
    """Open `count` keep-alive connections one after the other; the worker pid of each, asked
    twice on the same connection."""
    port = int(url.rsplit(":", 1)[1])
    connections, pids = [], []
    try:
        for _ in range(count):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connections.append(connection)
            answered = []
            for _ in range(2):
                connection.request("GET", "/pid")
                answered.append(json.loads(connection.getresponse().read())["pid"])
            assert answered[0] == answered[1]           # a connection stays with its worker
            pids.append(answered[0])
    finally:
        for connection in connections:
            connection.close()
    return pids


def _wait_for_workers_on_the_board(master_pid, count, timeout_s=20):
    """Until `count` live workers have claimed a slot (a worker still booting takes nothing)."""
    folder = "/dev/shm" if os.access("/dev/shm", os.W_OK) else tempfile.gettempdir()
    board = balanced.ConnectionBoard(os.path.join(folder, "lrs-connections-%d" % master_pid))
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            slots = balanced._SLOTS.unpack_from(board._map)
            if len([pid for pid in slots[0::2] if pid and balanced._alive(pid)]) >= count:
                return
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.05)
    finally:
        board.close()


def test_keep_alive_connections_fall_evenly_on_the_workers_issue_16(gunicorn):  # noqa: F811
    _wait_for_workers_on_the_board(gunicorn.pid, 2)
    pids = _worker_of_each_connection(gunicorn.url, 8)
    assert sorted(Counter(pids).values()) == [4, 4]
