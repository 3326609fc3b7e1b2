"""`more` cursors cannot be forged, edited or carried to another store (issue 11, defect 1).

A cursor is the base64url JSON state of the next page, '.', and an HMAC over the store id and
that state. Every case the hostile review named is tried twice: edited by a client without the
key (the HMAC refuses it) and sealed with the server's own key (the field checks refuse it), so
that neither line of defence depends on the other. Every answer is 400 with a message, never
500, never a page.
"""
import base64
import json
import urllib.parse

import pytest

from lrs.app import create_app

from .conftest import XAPIClient, make_settings, statement


def _b64(raw):
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issued_cursor(client, count=3, **params):
    """The `more` token of a first page of one statement, with `count` statements stored."""
    for _ in range(count):
        assert client.post_statements(statement()).status_code == 200
    query = urllib.parse.urlencode(dict(params, limit="1"))
    more = client.get("/xapi/statements?" + query).json["more"]
    return urllib.parse.parse_qs(urllib.parse.urlsplit(more).query)["more"][0]


def state_of(token):
    return json.loads(_unb64(token.partition(".")[0]))


def edited(token, state):
    """The token with its state replaced and the rest kept as issued: what a client can make."""
    _, dot, mac = token.partition(".")
    return _b64(json.dumps(state).encode()) + dot + mac


def sealed(app, client, state):
    """The state sealed with the server's own key for the client's store: the key leaked, say."""
    storage = app.extensions["lrs"].storage
    store_id = storage.get_credential(client.auth[0]).store_id
    return app.extensions["lrs"].cursors.seal(state, store_id)


def follow(client, token):
    return client.get("/xapi/statements?more=" + urllib.parse.quote(token))


def assert_refused(response):
    assert response.status_code == 400, response.data
    assert "not a cursor this LRS issued" in response.json["error"]["message"]
    assert "statements" not in response.json


# The cases of issue 11: limit -1 (the whole store in one page), `m` as string/float/list,
# `s`/`u` as objects or beyond 64 bits, `f` with non-string kinds; and their neighbours.
FORGED_FIELDS = {
    "limit -1": {"l": -1},
    "limit beyond the page limit": {"l": 10 ** 6},
    "limit as a string": {"l": "1"},
    "m as a string": {"m": "999"},
    "m as a float": {"m": 999.0},
    "m as a list": {"m": [999]},
    "m negative": {"m": -1},
    "s as an object": {"s": {"$gt": 0}},
    "u as an object": {"u": {}},
    "s beyond 64 bits": {"s": 2 ** 64},
    "u beyond 64 bits": {"u": -(2 ** 64)},
    "n beyond 63 bits": {"n": 2 ** 63},
    "n as a boolean": {"n": True},
    "n negative": {"n": -5},
    "f with a number as kind": {"f": [[1, "x"]]},
    "f with a list as kind": {"f": [[["verb"], "x"]]},
    "f with an unknown kind": {"f": [["authority", "x"]]},
    "f with a number as value": {"f": [["verb", 7]]},
    "f as a string": {"f": "verb"},
    "f pair of three": {"f": [["verb", "x", "y"]]},
    "fm unknown": {"fm": "everything"},
    "at as a number": {"at": 1},
    "a as a string": {"a": "true"},
    "an unknown field": {"x": 1},
}


@pytest.mark.parametrize("change", FORGED_FIELDS.values(), ids=list(FORGED_FIELDS))
def test_an_edited_cursor_is_refused_by_its_hmac(client, change):
    token = issued_cursor(client)
    assert_refused(follow(client, edited(token, {**state_of(token), **change})))


@pytest.mark.parametrize("change", FORGED_FIELDS.values(), ids=list(FORGED_FIELDS))
def test_a_cursor_sealed_with_the_real_key_but_out_of_range_is_refused(app, client, change):
    token = issued_cursor(client)
    assert_refused(follow(client, sealed(app, client, {**state_of(token), **change})))


@pytest.mark.parametrize("state", [[], "n", 5, None, {}], ids=["list", "string", "number", "null", "no n"])
def test_a_sealed_cursor_that_is_not_a_cursor_state_is_refused(app, client, state):
    assert_refused(follow(client, sealed(app, client, state)))


def test_a_sealed_cursor_holding_nan_is_refused(app, client):
    store_id = app.extensions["lrs"].storage.get_credential(client.auth[0]).store_id
    token = app.extensions["lrs"].cursors.seal({"n": float("nan")}, store_id)
    assert_refused(follow(client, token))


def test_limit_minus_one_does_not_return_the_whole_store(client):
    """The attack of the review: one edited cursor, every statement in one response."""
    token = issued_cursor(client, count=4)
    response = follow(client, edited(token, {**state_of(token), "l": -1}))
    assert response.status_code == 400 and "statements" not in response.json


@pytest.mark.parametrize("position", [0, 5, -3], ids=["first", "in the state", "in the hmac"])
def test_a_cursor_with_one_character_changed_is_refused(client, position):
    token = issued_cursor(client)
    characters = list(token)
    characters[position] = "A" if characters[position] != "A" else "B"
    assert_refused(follow(client, "".join(characters)))


@pytest.mark.parametrize("mangle", [lambda t: t.partition(".")[0], lambda t: t[:-4], lambda t: t + "AAAA",
                                    lambda t: t.replace(".", ".."), lambda t: t.replace(".", ".+")],
                         ids=["no hmac", "hmac cut", "hmac longer", "two dots", "not base64url"])
def test_a_cursor_with_a_missing_or_malformed_hmac_is_refused(client, mangle):
    token = issued_cursor(client)
    assert_refused(follow(client, mangle(token)))


def test_a_cursor_without_its_hmac_is_refused_even_when_its_state_is_genuine(client):
    token = issued_cursor(client)
    assert_refused(follow(client, token.partition(".")[0] + ".AAAAAAAAAAAAAAAAAAAAAA"))


def test_a_cursor_issued_in_another_store_is_refused_QRY_52(client, app):
    from lrs.auth import create_credential
    storage = app.extensions["lrs"].storage
    other = storage.create_store("other-agency")
    key, secret = create_credential(storage, other.id, ["all"], iterations=1000)
    token = issued_cursor(client)
    assert_refused(follow(client.with_auth(key, secret), token))


def test_a_genuine_cursor_still_pages_QRY_43(client):
    token = issued_cursor(client, count=3)
    response = follow(client, token)
    assert response.status_code == 200 and len(response.json["statements"]) == 1


def _second_app(app, **changes):
    settings = app.extensions["lrs"].settings
    return create_app(make_settings(settings.database_url, **changes), announce=lambda message: None)


def test_every_process_on_the_same_database_accepts_the_cursors_of_the_others(app, client):
    """Without LRS_CURSOR_KEY the key is made once and kept in the database (workers, replicas)."""
    token = issued_cursor(client)
    other = _second_app(app)
    try:
        response = follow(XAPIClient(other, "1.0.3"), token)
        assert response.status_code == 200 and len(response.json["statements"]) == 1
    finally:
        other.extensions["lrs"].storage.close()


def test_a_configured_cursor_key_is_the_one_that_signs(make_app):
    key = "0123456789abcdef" * 4
    first = make_app(cursor_key=key)
    token = issued_cursor(XAPIClient(first, "1.0.3"))
    same_key, database_key = _second_app(first, cursor_key=key), _second_app(first)
    try:
        assert follow(XAPIClient(same_key, "1.0.3"), token).status_code == 200
        assert_refused(follow(XAPIClient(database_key, "1.0.3"), token))
    finally:
        same_key.extensions["lrs"].storage.close()
        database_key.extensions["lrs"].storage.close()


def test_a_cursor_never_returns_more_than_the_page_limit_QRY_8(make_app):
    app = make_app(statement_page_limit=2)
    client = XAPIClient(app, "1.0.3")
    for _ in range(5):
        client.post_statements(statement())
    first = client.get("/xapi/statements?limit=100")
    second = client.get(first.json["more"])
    assert [len(first.json["statements"]), len(second.json["statements"])] == [2, 2]
