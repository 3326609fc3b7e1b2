"""/health and /ready: what load balancers and orchestrators ask, without credentials."""


def test_health_answers_ok_without_credentials(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_health_does_not_touch_the_database(client, storage):
    storage.error = ConnectionError("down")
    assert client.get("/health").status_code == 200
    assert storage.pings == 0


def test_ready_answers_ok_when_the_database_answers(client, storage):
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert storage.pings == 1


def test_ready_answers_503_with_a_reason_when_the_database_does_not(client, storage):
    storage.error = ConnectionError("connection refused to mongo1:27017")
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "reason": "database unreachable"}


def test_ready_does_not_reveal_database_details(client, storage):
    storage.error = ConnectionError("mongodb://lrs:hunter2@mongo1:27017 refused")
    body = client.get("/ready").get_data(as_text=True)
    assert "hunter2" not in body and "mongo1" not in body


def test_ready_answers_503_when_the_app_has_no_storage(app, client):
    del app.extensions["lrs.storage"]
    assert client.get("/ready").status_code == 503


def test_probe_answers_are_not_cached(client):
    assert client.get("/health").headers["Cache-Control"] == "no-store"
    assert client.get("/ready").headers["Cache-Control"] == "no-store"


def test_init_app_twice_changes_nothing(app, client):
    from lrs import observability
    observability.init_app(app)
    assert client.get("/health").status_code == 200
