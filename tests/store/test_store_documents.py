"""Documents: state, activity profile, agent profile (STATE-10..STATE-14, CONC-18)."""
import threading

import pytest

from lrs.errors import PreconditionFailed
from lrs.store import Document, DocumentKey, DocumentScope

ACTIVITY = "http://example.gov/unit/1"
AGENT = "mbox:mailto:alice@example.gov"
REGISTRATION = "6fbd600f-d17c-4c74-801a-2ec2e53231c9"


def state(doc_id, registration=None, activity=ACTIVITY):
    return DocumentKey(kind="state", doc_id=doc_id, activity_id=activity, agent_key=AGENT,
                       registration=registration)


def state_scope(registration=None, all_registrations=True):
    return DocumentScope(kind="state", activity_id=ACTIVITY, agent_key=AGENT, registration=registration,
                         all_registrations=all_registrations)


def doc(content=b'{"a":1}', updated_ms=1000, etag='"e1"'):
    return Document(content=content, content_type="application/json", etag=etag, updated_ms=updated_ms)


def write(storage, store, key, document):
    return storage.write_document(store, key, lambda current: document)


def test_a_missing_document_is_none(storage, store):
    assert storage.get_document(store, state("s")) is None


def test_a_written_document_is_returned_as_written(storage, store):
    written = write(storage, store, state("s"), doc())
    assert written == doc() and storage.get_document(store, state("s")) == doc()


def test_decide_sees_none_when_nothing_is_stored(storage, store):
    seen = []
    storage.write_document(store, state("s"), lambda current: seen.append(current) or doc())
    assert seen == [None]


def test_decide_sees_the_current_document(storage, store):
    write(storage, store, state("s"), doc())
    seen = []
    storage.write_document(store, state("s"), lambda current: seen.append(current) or doc(b"2", 2000))
    assert seen == [doc()]


def test_a_write_replaces_the_document(storage, store):
    write(storage, store, state("s"), doc())
    write(storage, store, state("s"), doc(b"new", 2000, '"e2"'))
    assert storage.get_document(store, state("s")) == doc(b"new", 2000, '"e2"')


def test_decide_raising_aborts_and_changes_nothing_CONC_18(storage, store):
    write(storage, store, state("s"), doc())

    def refuse(current):
        raise PreconditionFailed("etag does not match")
    with pytest.raises(PreconditionFailed):
        storage.write_document(store, state("s"), refuse)
    assert storage.get_document(store, state("s")) == doc()


def test_decide_raising_on_a_new_document_creates_nothing(storage, store):
    def refuse(current):
        raise PreconditionFailed("no")
    with pytest.raises(PreconditionFailed):
        storage.write_document(store, state("s"), refuse)
    assert storage.get_document(store, state("s")) is None


def test_concurrent_read_check_writes_lose_no_update_CONC_18(storage, store):
    write(storage, store, state("counter"), doc(b"0"))

    def increment(current):
        return doc(str(int(current.content) + 1).encode())

    def worker():
        for _ in range(10):
            storage.write_document(store, state("counter"), increment)
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert storage.get_document(store, state("counter")).content == b"40"


def test_a_registration_addresses_a_separate_document(storage, store):
    write(storage, store, state("s", REGISTRATION), doc(b"with"))
    write(storage, store, state("s"), doc(b"without"))
    assert storage.get_document(store, state("s", REGISTRATION)).content == b"with"
    assert storage.get_document(store, state("s")).content == b"without"


def test_kinds_are_separate_namespaces(storage, store):
    write(storage, store, DocumentKey(kind="activity_profile", doc_id="p", activity_id=ACTIVITY), doc(b"act"))
    write(storage, store, DocumentKey(kind="agent_profile", doc_id="p", agent_key=AGENT), doc(b"agent"))
    assert storage.get_document(store, DocumentKey(kind="activity_profile", doc_id="p",
                                                   activity_id=ACTIVITY)).content == b"act"
    assert storage.get_document(store, DocumentKey(kind="agent_profile", doc_id="p",
                                                   agent_key=AGENT)).content == b"agent"


def test_documents_of_another_activity_are_separate(storage, store):
    write(storage, store, state("s", activity="http://other"), doc())
    assert storage.get_document(store, state("s")) is None


def test_documents_are_kept_per_store(storage, store, other_store):
    write(storage, other_store, state("s"), doc())
    assert storage.get_document(store, state("s")) is None
    assert storage.list_documents(store, state_scope()) == []


def test_list_documents_is_sorted_by_id_STATE_10(storage, store):
    for name, updated in (("b", 2), ("a", 1), ("c", 3)):
        write(storage, store, state(name), doc(updated_ms=updated))
    assert storage.list_documents(store, state_scope()) == [("a", 1), ("b", 2), ("c", 3)]


def test_list_documents_since_is_strictly_after_STATE_11(storage, store):
    for name, updated in (("a", 1000), ("b", 2000), ("c", 3000)):
        write(storage, store, state(name), doc(updated_ms=updated))
    assert storage.list_documents(store, state_scope(), since_ms=2000) == [("c", 3000)]


def test_list_documents_without_registration_covers_all_registrations_STATE_14(storage, store):
    write(storage, store, state("with", REGISTRATION), doc(updated_ms=1))
    write(storage, store, state("without"), doc(updated_ms=2))
    assert storage.list_documents(store, state_scope()) == [("with", 1), ("without", 2)]


def test_list_documents_can_cover_only_documents_without_registration(storage, store):
    write(storage, store, state("with", REGISTRATION), doc())
    write(storage, store, state("without"), doc())
    assert [d for d, _ in storage.list_documents(store, state_scope(all_registrations=False))] == ["without"]


def test_list_documents_with_a_registration_covers_only_it(storage, store):
    write(storage, store, state("with", REGISTRATION), doc())
    write(storage, store, state("without"), doc())
    assert [d for d, _ in storage.list_documents(store, state_scope(REGISTRATION))] == ["with"]


def test_list_documents_names_an_id_once_across_registrations_with_its_newest_time(storage, store):
    write(storage, store, state("s", REGISTRATION), doc(updated_ms=5))
    write(storage, store, state("s"), doc(updated_ms=3))
    assert storage.list_documents(store, state_scope()) == [("s", 5)]


def test_list_profile_documents_of_an_agent(storage, store):
    write(storage, store, DocumentKey(kind="agent_profile", doc_id="p1", agent_key=AGENT), doc(updated_ms=1))
    write(storage, store, DocumentKey(kind="agent_profile", doc_id="p2", agent_key="mbox:mailto:x@y"), doc())
    scope = DocumentScope(kind="agent_profile", agent_key=AGENT)
    assert storage.list_documents(store, scope) == [("p1", 1)]


def test_delete_document_removes_it_and_says_so_STATE_12(storage, store):
    write(storage, store, state("s"), doc())
    assert storage.delete_document(store, state("s"), lambda current: None) is True
    assert storage.get_document(store, state("s")) is None


def test_delete_document_passes_the_current_document_to_check(storage, store):
    write(storage, store, state("s"), doc())
    seen = []
    storage.delete_document(store, state("s"), seen.append)
    assert seen == [doc()]


def test_delete_document_check_raising_keeps_the_document_CONC_8(storage, store):
    write(storage, store, state("s"), doc())

    def refuse(current):
        raise PreconditionFailed("etag does not match")
    with pytest.raises(PreconditionFailed):
        storage.delete_document(store, state("s"), refuse)
    assert storage.get_document(store, state("s")) == doc()


def test_delete_document_of_a_missing_one_checks_none_and_says_false(storage, store):
    seen = []
    assert storage.delete_document(store, state("s"), seen.append) is False
    assert seen == [None]


def test_delete_documents_without_registration_deletes_all_registrations_STATE_14(storage, store):
    write(storage, store, state("a", REGISTRATION), doc())
    write(storage, store, state("b"), doc())
    assert storage.delete_documents(store, state_scope()) == 2
    assert storage.list_documents(store, state_scope()) == []


def test_delete_documents_with_a_registration_keeps_the_others_STATE_13(storage, store):
    write(storage, store, state("a", REGISTRATION), doc())
    write(storage, store, state("b"), doc())
    assert storage.delete_documents(store, state_scope(REGISTRATION)) == 1
    assert [d for d, _ in storage.list_documents(store, state_scope())] == ["b"]


def test_delete_documents_can_keep_documents_with_registrations(storage, store):
    write(storage, store, state("a", REGISTRATION), doc())
    write(storage, store, state("b"), doc())
    assert storage.delete_documents(store, state_scope(all_registrations=False)) == 1
    assert [d for d, _ in storage.list_documents(store, state_scope())] == ["a"]


def test_delete_documents_leaves_other_stores_alone(storage, store, other_store):
    write(storage, other_store, state("a"), doc())
    assert storage.delete_documents(store, state_scope()) == 0
    assert storage.get_document(other_store, state("a")) == doc()
