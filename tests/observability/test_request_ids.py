"""Every request has an id: the caller's when it is a sane token, else a new one; always echoed."""
import re


def test_a_request_without_an_id_gets_a_new_one(client):
    request_id = client.get("/health").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)


def test_each_request_gets_its_own_id(client):
    assert client.get("/health").headers["X-Request-ID"] != client.get("/health").headers["X-Request-ID"]


def test_a_sane_incoming_id_is_echoed(client):
    response = client.get("/things/1", headers={"X-Request-ID": "lb-7f3a.42_x-1"})
    assert response.headers["X-Request-ID"] == "lb-7f3a.42_x-1"


def test_an_id_of_128_characters_is_accepted(client):
    request_id = "a" * 128
    assert client.get("/health", headers={"X-Request-ID": request_id}).headers["X-Request-ID"] == request_id


def test_an_id_longer_than_128_characters_is_replaced(client):
    response = client.get("/health", headers={"X-Request-ID": "a" * 129})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_an_id_with_unsafe_characters_is_replaced(client, log_lines):
    hostile = 'abc"}\n{"level":"ERROR'
    response = client.get("/things/1", headers={"X-Request-ID": "abc def<script>"})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])
    response = client.get("/things/1", headers={"X-Request-ID": hostile.replace("\n", " ")})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])
    assert all("<script>" not in str(line) for line in log_lines())


def test_error_responses_carry_the_id_too(client):
    assert client.get("/no/such/path", headers={"X-Request-ID": "r-404"}).headers["X-Request-ID"] == "r-404"
    assert client.get("/crash", headers={"X-Request-ID": "r-500"}).headers["X-Request-ID"] == "r-500"


def test_the_id_is_in_the_log_lines_written_during_the_request(client, log_lines):
    client.get("/things/3", headers={"X-Request-ID": "trace-me"})
    handler_line = [line for line in log_lines() if line["logger"] == "lrs.test"][-1]
    assert handler_line["request_id"] == "trace-me"
