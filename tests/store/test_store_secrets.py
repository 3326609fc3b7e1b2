"""Server-side secrets (get_or_create_secret), on every backend: made once, then the same bytes
for every caller, instance and process sharing the database (issue 11: the `more` cursor key)."""
import multiprocessing
import os
import threading

from lrs.store import open_storage


def _maker(value):
    calls = []

    def make():
        calls.append(value)
        return value
    return make, calls


def test_a_missing_secret_is_made_and_kept(storage):
    make, calls = _maker(b"first value")
    assert storage.get_or_create_secret("cursor-key", make) == b"first value"
    assert calls == [b"first value"]


def test_an_existing_secret_is_returned_without_making_another(storage):
    storage.get_or_create_secret("cursor-key", lambda: b"first value")
    make, calls = _maker(b"second value")
    assert storage.get_or_create_secret("cursor-key", make) == b"first value"
    assert calls == []


def test_secrets_are_kept_per_name(storage):
    storage.get_or_create_secret("one", lambda: b"1" * 32)
    storage.get_or_create_secret("two", lambda: b"2" * 32)
    assert storage.get_or_create_secret("one", lambda: b"x") == b"1" * 32
    assert storage.get_or_create_secret("two", lambda: b"x") == b"2" * 32


def test_a_secret_holds_any_bytes(storage):
    value = bytes(range(256))
    assert storage.get_or_create_secret("binary", lambda: value) == value
    assert storage.get_or_create_secret("binary", lambda: b"x") == value


def test_a_secret_survives_reopening_the_database(opener, storage):
    storage.get_or_create_secret("cursor-key", lambda: b"kept")
    storage.close()
    assert opener().get_or_create_secret("cursor-key", lambda: b"other") == b"kept"


def test_racing_creators_on_several_instances_all_get_the_winner(opener):
    instances = [opener() for _ in range(4)]
    barrier = threading.Barrier(len(instances))
    results, errors = [], []

    def worker(index, storage):
        def make():
            barrier.wait(5)              # every instance has found no secret before any writes
            return b"value of %d" % index
        try:
            results.append(storage.get_or_create_secret("cursor-key", make))
        except Exception as error:      # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=pair) for pair in enumerate(instances)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert len(results) == len(instances) and len(set(results)) == 1
    assert instances[0].get_or_create_secret("cursor-key", lambda: b"late") == results[0]


def _secret_from_process(url, queue):
    storage = open_storage(url)
    queue.put(storage.get_or_create_secret("cursor-key", lambda: os.urandom(32)))
    storage.close()


def test_processes_sharing_a_sqlite_file_agree_on_one_secret(tmp_path):
    url = "sqlite:///" + str(tmp_path / "lrs.sqlite3")
    open_storage(url).close()
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    processes = [context.Process(target=_secret_from_process, args=(url, queue)) for _ in range(3)]
    for process in processes:
        process.start()
    values = [queue.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(60)
    assert [p.exitcode for p in processes] == [0, 0, 0]
    assert len(set(values)) == 1 and len(values[0]) == 32
