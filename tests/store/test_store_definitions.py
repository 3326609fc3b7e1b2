"""Activity definitions (ACT-7), agent names (AGENTS-6) and attachments kept by a statement batch."""
import pytest

AGENT = "mbox:mailto:alice@example.gov"


def _merge_recording(calls):
    def merge(current, incoming):
        calls.append((current, incoming))
        return {**(current or {}), **incoming}
    return merge


def test_a_new_activity_definition_is_merged_from_none_and_stored(storage, store, put):
    calls = []
    put(activity_definitions={"http://a": {"type": "http://t"}}, merge_definition=_merge_recording(calls))
    assert calls == [(None, {"type": "http://t"})]
    assert storage.get_activity_definition(store, "http://a") == {"type": "http://t"}


def test_merge_definition_receives_the_current_definition(storage, store, put):
    put(activity_definitions={"http://a": {"type": "http://t"}}, merge_definition=_merge_recording([]))
    calls = []
    put(activity_definitions={"http://a": {"moreInfo": "http://m"}}, merge_definition=_merge_recording(calls))
    assert calls == [({"type": "http://t"}, {"moreInfo": "http://m"})]


def test_the_merged_definition_is_what_is_stored(storage, store, put):
    put(activity_definitions={"http://a": {"name": {"en": "A"}}}, merge_definition=_merge_recording([]))
    put(activity_definitions={"http://a": {"type": "http://t"}}, merge_definition=_merge_recording([]))
    assert storage.get_activity_definition(store, "http://a") == {"name": {"en": "A"}, "type": "http://t"}


def test_definitions_travel_with_statements_in_the_same_batch(storage, store, put, record):
    put(record(), activity_definitions={"http://a": {"type": "http://t"}}, merge_definition=_merge_recording([]))
    assert storage.get_activity_definition(store, "http://a") == {"type": "http://t"}


def test_an_unknown_activity_has_no_definition(storage, store):
    assert storage.get_activity_definition(store, "http://nothing") is None


def test_a_merge_that_raises_writes_nothing_of_the_batch(storage, store, put, record):
    def failing(current, incoming):
        raise RuntimeError("merge failed")
    statement = record()
    with pytest.raises(RuntimeError):
        put(statement, activity_definitions={"http://a": {}}, merge_definition=failing)
    assert storage.get_statements(store, [statement.id]) == {}
    assert storage.get_activity_definition(store, "http://a") is None


def test_definitions_are_kept_per_store(storage, store, other_store, put):
    put(activity_definitions={"http://a": {"type": "http://t"}}, merge_definition=_merge_recording([]),
        store=other_store)
    assert storage.get_activity_definition(store, "http://a") is None


def test_agent_names_are_stored_AGENTS_6(storage, store, put):
    put(agent_names={AGENT: ["Alice"]})
    assert storage.get_agent_names(store, AGENT) == ["Alice"]


def test_agent_names_accumulate_in_order_of_first_appearance_AGENTS_6(storage, store, put):
    put(agent_names={AGENT: ["Alice", "A. Smith"]})
    put(agent_names={AGENT: ["Ally", "Alice"]})
    assert storage.get_agent_names(store, AGENT) == ["Alice", "A. Smith", "Ally"]


def test_an_unknown_agent_has_no_names(storage, store):
    assert storage.get_agent_names(store, AGENT) == []


def test_agent_names_are_kept_per_store(storage, store, other_store, put):
    put(agent_names={AGENT: ["Alice"]}, store=other_store)
    assert storage.get_agent_names(store, AGENT) == []


def test_attachments_are_returned_by_hash(storage, store, put, record):
    put(record(attachments=["h1"]), attachments={"h1": ("text/plain", b"one")})
    assert storage.get_attachments(store, ["h1", "missing"]) == {"h1": ("text/plain", b"one")}


def test_an_attachment_is_kept_once_per_hash(storage, store, put, record):
    put(record(attachments=["h1"]), attachments={"h1": ("text/plain", b"one")})
    put(record(attachments=["h1"]), attachments={"h1": ("application/octet-stream", b"one")})
    assert storage.get_attachments(store, ["h1"]) == {"h1": ("text/plain", b"one")}


def test_binary_attachment_data_round_trips(storage, store, put, record):
    data = bytes(range(256)) * 4
    put(record(attachments=["bin"]), attachments={"bin": ("application/octet-stream", data)})
    assert storage.get_attachments(store, ["bin"])["bin"][1] == data


def test_attachments_are_kept_per_store(storage, store, other_store, put, record):
    put(record(attachments=["h1"]), attachments={"h1": ("text/plain", b"one")}, store=other_store)
    assert storage.get_attachments(store, ["h1"]) == {}
