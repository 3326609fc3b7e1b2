"""deploy/: the Dockerfile, the compose files, nginx and the Kubernetes manifests hold what operators
rely on. No container engine or cluster is needed: the files are parsed and checked."""
import glob
import os
import re

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPLOY = os.path.join(ROOT, "deploy")
K8S = os.path.join(DEPLOY, "kubernetes")
PLACEHOLDER = "REPLACE_ME"
SECRETISH = re.compile(r"SECRET|PASSWORD|TOKEN|_KEY$", re.I)


def _read(*parts):
    with open(os.path.join(DEPLOY, *parts)) as handle:
        return handle.read()


def _yaml(*parts):
    return yaml.safe_load(_read(*parts))


# ------------------------------------------------------------------------------------ Dockerfile

def _dockerfile():
    """[(INSTRUCTION, arguments)] with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", _read("Dockerfile"))
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            instructions.append((word.upper(), rest.strip()))
    return instructions


def _args(instruction):
    return [rest for word, rest in _dockerfile() if word == instruction]


def _final_stage():
    instructions = _dockerfile()
    last_from = max(i for i, (word, _) in enumerate(instructions) if word == "FROM")
    return instructions[last_from:]


def test_image_is_built_on_python_slim():
    arg = dict(a.split("=", 1) for a in _args("ARG") if "=" in a)
    for base in _args("FROM"):
        image = base.split()[0].replace("${PYTHON_VERSION}", arg.get("PYTHON_VERSION", ""))
        assert re.fullmatch(r"python:3\.\d+-slim", image), image


def test_image_runs_as_a_non_root_user():
    users = [rest for word, rest in _final_stage() if word == "USER"]
    assert users, "no USER in the final stage"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")


def test_image_installs_requirements_txt():
    assert any("requirements.txt" in rest for rest in _args("COPY"))
    assert any("pip install -r" in rest and "requirements.txt" in rest for rest in _args("RUN"))


def test_image_healthcheck_hits_health():
    (check,) = _args("HEALTHCHECK")
    assert "CMD" in check and "/health" in check


def test_image_holds_every_file_the_gunicorn_config_loads_from_deploy():
    loaded = set(re.findall(r'"deploy",\s*"([\w.]+)"', _read("gunicorn.conf.py")))
    assert "balanced_worker.py" in loaded
    copied = " ".join(rest for rest in _args("COPY"))
    allowed = _read("Dockerfile.dockerignore").splitlines()
    for name in loaded:
        assert "deploy/" + name in copied, name
        assert "!deploy/" + name in allowed, name


def test_image_starts_gunicorn_with_the_deploy_config():
    (entrypoint,) = _args("ENTRYPOINT")
    (cmd,) = _args("CMD")
    assert "gunicorn" in entrypoint and "deploy/gunicorn.conf.py" in entrypoint
    assert "wsgi:app" in cmd


def test_image_keeps_the_sqlite_file_in_the_data_volume():
    assert any("/data" in rest for rest in _args("VOLUME"))
    assert any("LRS_DATABASE_URL=sqlite:////data/lrs.sqlite3" in rest for rest in _args("ENV"))


def test_build_context_lets_in_only_what_the_image_copies():
    lines = [line.strip() for line in _read("Dockerfile.dockerignore").splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines[0] == "**"                           # allow-list: .env, data, .git stay out
    allowed = [line[1:] for line in lines if line.startswith("!")]
    for copy in _args("COPY"):
        if copy.startswith("--from"):
            continue
        for source in copy.split()[:-1]:
            source = source.rstrip("/")
            assert any(a == source or a.startswith(source + "/") for a in allowed), source
    assert not any(".env" in a for a in allowed)


# ------------------------------------------------------------------------------------ compose

def _compose():
    return _yaml("docker-compose.yml")


def _environment(service):
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return env


def _depends_condition(service, name):
    depends = service.get("depends_on", {})
    return depends[name]["condition"] if isinstance(depends, dict) and name in depends else None


MONGO_NODES = ("mongo1", "mongo2", "mongo3")


@pytest.mark.parametrize("name", ["docker-compose.yml", "docker-compose.sqlite.yml", "docker-compose.test-mongo.yml"])
def test_compose_file_parses_with_services(name):
    assert _yaml(name)["services"]


def test_the_test_replica_set_is_one_node_rs0_published_on_loopback_only():
    """README: the suite runs against it with LRS_TEST_MONGODB_URL (issue 10)."""
    mongo = _yaml("docker-compose.test-mongo.yml")["services"]["mongo"]
    assert mongo["command"][mongo["command"].index("--replSet") + 1] == "rs0"
    assert mongo["ports"] == ["127.0.0.1:27017:27017"]
    assert "rs.initiate" in " ".join(mongo["healthcheck"]["test"])


def test_mongodb_runs_three_mongo7_nodes_in_replica_set_rs0():
    services = _compose()["services"]
    for name in MONGO_NODES:
        node = services[name]
        assert node["image"].split(":")[0] == "mongo" and node["image"].split(":")[1].startswith("7")
        command = node["command"]
        assert command[command.index("--replSet") + 1] == "rs0"
        assert "/data/db" in " ".join(node["volumes"])
        assert "healthcheck" in node


def test_replica_set_init_initiates_three_members_once():
    init = _compose()["services"]["mongo-init"]
    script = " ".join(init["command"])
    assert "rs.initiate(" in script
    assert sorted(re.findall(r'host: "(mongo\d):27017"', script)) == list(MONGO_NODES)
    assert "rs.status()" in script and "NotYetInitialized" in script      # idempotent
    assert init.get("restart") == "no"
    for name in MONGO_NODES:
        assert _depends_condition(init, name) == "service_healthy"


def test_lrs_starts_after_the_replica_set_is_initiated():
    lrs = _compose()["services"]["lrs"]
    assert _depends_condition(lrs, "mongo-init") == "service_completed_successfully"


def test_compose_database_url_uses_majority_journaled_writes_on_the_replica_set():
    url = _environment(_compose()["services"]["lrs"])["LRS_DATABASE_URL"]
    assert url.startswith("mongodb://")
    for node in MONGO_NODES:
        assert node + ":27017" in url
    for option in ("replicaSet=rs0", "w=majority", "journal=true"):
        assert option in url


def test_compose_runs_at_least_two_lrs_replicas_from_the_deploy_dockerfile():
    lrs = _compose()["services"]["lrs"]
    assert lrs["deploy"]["replicas"] >= 2
    assert lrs["build"]["dockerfile"] == "deploy/Dockerfile"


def test_compose_has_one_entry_port_through_nginx():
    services = _compose()["services"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"lb"}
    lb = services["lb"]
    assert lb["image"].startswith("nginx:")
    source = lb["volumes"][0].split(":")[0]
    assert os.path.isfile(os.path.join(DEPLOY, source))
    assert "server lrs:8000" in _read(source)


def test_nginx_access_log_omits_query_strings():
    conf = _read("nginx", "lrs.conf")
    log_format = conf[conf.index("log_format"):conf.index(";", conf.index("log_format"))]
    assert "$uri" in log_format
    for variable in ("$request_uri", "$args", "$query_string", '$request"', "$http_authorization"):
        assert variable not in log_format


def test_compose_admin_credentials_come_from_the_environment():
    env = _environment(_compose()["services"]["lrs"])
    assert re.fullmatch(r"\$\{LRS_ADMIN_KEY:\?[^}]*\}", env["LRS_ADMIN_KEY"])
    assert re.fullmatch(r"\$\{LRS_ADMIN_SECRET:\?[^}]*\}", env["LRS_ADMIN_SECRET"])


@pytest.mark.parametrize("name", ["docker-compose.yml", "docker-compose.sqlite.yml"])
def test_compose_holds_no_literal_secret(name):
    for service in _yaml(name)["services"].values():
        for key, value in _environment(service).items():
            if SECRETISH.search(key):
                assert re.fullmatch(r"\$\{[A-Z_]+(:[-?][^}]*)?\}", str(value)), key


def test_env_example_has_no_values_and_env_is_ignored():
    for line in _read(".env.example").splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            assert value == "" or not SECRETISH.search(key), line
    assert ".env" in _read(".gitignore").split()


def test_compose_lrs_gets_longer_to_stop_than_gunicorn_gives_requests():
    grace = int(_compose()["services"]["lrs"]["stop_grace_period"].rstrip("s"))
    assert grace > 30


def test_sqlite_compose_keeps_the_database_file_in_a_named_volume():
    compose = _yaml("docker-compose.sqlite.yml")
    lrs = compose["services"]["lrs"]
    assert _environment(lrs)["LRS_DATABASE_URL"] == "sqlite:////data/lrs.sqlite3"
    volume, target = lrs["volumes"][0].split(":")[:2]
    assert target == "/data" and volume in compose["volumes"]
    assert lrs.get("deploy", {}).get("replicas", 1) == 1


# --------------------------------------------------------------------------------- Kubernetes

def _k8s(name):
    with open(os.path.join(K8S, name)) as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


def _one(name):
    (doc,) = _k8s(name)
    return doc


def _deployment():
    return _one("deployment.yaml")


def _pod_labels():
    return _deployment()["spec"]["template"]["metadata"]["labels"]


def _container():
    (container,) = _deployment()["spec"]["template"]["spec"]["containers"]
    return container


def _configmap():
    return _one("configmap.yaml")["data"]


def _secrets():
    return {doc["metadata"]["name"]: doc for doc in _k8s("secret.yaml")}


def test_kustomization_lists_every_manifest():
    kustomization = _one("kustomization.yaml")
    files = {os.path.basename(p) for p in glob.glob(os.path.join(K8S, "*.yaml"))} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files


def test_every_manifest_has_api_version_kind_and_name():
    for path in glob.glob(os.path.join(K8S, "*.yaml")):
        for doc in _k8s(os.path.basename(path)):
            assert doc["apiVersion"] and doc["kind"]
            if doc["kind"] != "Kustomization":
                assert doc["metadata"]["name"]


def test_deployment_runs_at_least_three_replicas():
    assert _deployment()["spec"]["replicas"] >= 3


def test_deployment_selector_matches_its_pod_labels():
    selector = _deployment()["spec"]["selector"]["matchLabels"]
    assert selector.items() <= _pod_labels().items()


def test_readiness_probe_asks_ready_and_liveness_probe_asks_health():
    container = _container()
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"


def test_deployment_sets_resource_requests_and_limits():
    resources = _container()["resources"]
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(resources[kind])


def test_gunicorn_workers_fit_the_cpu_limit():
    limit = str(_container()["resources"]["limits"]["cpu"])
    cores = int(limit[:-1]) / 1000 if limit.endswith("m") else float(limit)
    assert 1 <= int(_configmap()["LRS_WORKERS"]) <= max(1, cores)


def test_deployment_runs_as_non_root_without_privileges():
    pod = _deployment()["spec"]["template"]["spec"]["securityContext"]
    container = _container()["securityContext"]
    assert pod["runAsNonRoot"] is True and pod["runAsUser"] != 0
    assert container["allowPrivilegeEscalation"] is False
    assert container["readOnlyRootFilesystem"] is True
    assert container["capabilities"]["drop"] == ["ALL"]


def test_deployment_image_has_a_version_tag():
    image = _container()["image"]
    assert ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest")


def test_deployment_takes_settings_from_the_configmap_and_credentials_from_the_secret():
    sources = _container()["envFrom"]
    assert {"configMapRef": {"name": _one("configmap.yaml")["metadata"]["name"]}} in sources
    assert {"secretRef": {"name": "lrs-credentials"}} in sources
    assert {"LRS_ADMIN_KEY", "LRS_ADMIN_SECRET"} <= set(_secrets()["lrs-credentials"]["stringData"])


def test_termination_grace_outlasts_graceful_timeout_and_pre_stop_pause():
    spec = _deployment()["spec"]["template"]["spec"]
    pause = int(_container()["lifecycle"]["preStop"]["exec"]["command"][-1])
    assert spec["terminationGracePeriodSeconds"] > int(_configmap()["LRS_GRACEFUL_TIMEOUT"]) + pause


def test_kubernetes_database_url_uses_majority_journaled_writes():
    env = {item["name"]: item for item in _container()["env"]}
    url = env["LRS_DATABASE_URL"]["value"]
    assert url.startswith("mongodb://")
    for option in ("w=majority", "journal=true", "replicaSet="):
        assert option in url


def test_kubernetes_database_url_refers_only_to_defined_variables():
    container = _container()
    defined = set(_configmap())
    for item in container["env"]:
        for name in re.findall(r"\$\(([A-Z_]+)\)", item.get("value", "")):
            assert name in defined, name
        defined.add(item["name"])


def test_kubernetes_database_password_comes_from_a_secret():
    env = {item["name"]: item for item in _container()["env"]}
    ref = env["LRS_MONGODB_PASSWORD"]["valueFrom"]["secretKeyRef"]
    assert ref["key"] in _secrets()[ref["name"]]["stringData"]


def test_configmap_holds_the_settings():
    data = _configmap()
    assert {"LRS_PUBLIC_URL", "LRS_LOG_LEVEL", "LRS_XAPI_VERSIONS", "LRS_WORKERS", "LRS_THREADS"} <= set(data)
    assert all(key.startswith("LRS_") and isinstance(value, str) for key, value in data.items())


def test_configmap_holds_no_secrets():
    assert not [key for key in _configmap() if SECRETISH.search(key)]
    assert not [value for value in _configmap().values() if "@" in value]


def test_secrets_are_templates_with_placeholder_values_only():
    text = open(os.path.join(K8S, "secret.yaml")).read()
    assert "secret store" in text
    for secret in _secrets().values():
        assert "data" not in secret                   # no base64 values slipping in
        assert set(secret["stringData"].values()) == {PLACEHOLDER}


def test_service_selects_the_deployment_pods_on_the_http_port():
    service = _one("service.yaml")
    assert service["spec"]["selector"].items() <= _pod_labels().items()
    port_names = {port["name"] for port in _container()["ports"]}
    assert all(port["targetPort"] in port_names for port in service["spec"]["ports"])


def test_hpa_scales_the_deployment():
    hpa = _one("hpa.yaml")
    assert hpa["apiVersion"] == "autoscaling/v2"
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", _deployment()["metadata"]["name"])
    assert 3 <= hpa["spec"]["minReplicas"] <= _deployment()["spec"]["replicas"] <= hpa["spec"]["maxReplicas"]
    assert hpa["spec"]["metrics"]


def test_pdb_selects_the_deployment_pods_and_leaves_room_to_drain():
    pdb = _one("pdb.yaml")
    assert pdb["apiVersion"] == "policy/v1"
    assert pdb["spec"]["selector"]["matchLabels"].items() <= _pod_labels().items()
    assert 1 <= pdb["spec"]["minAvailable"] < _deployment()["spec"]["replicas"]


def test_mongodb_is_a_community_operator_replica_set_of_three():
    mongodb = _one("mongodb.yaml")
    assert mongodb["apiVersion"] == "mongodbcommunity.mongodb.com/v1"
    assert mongodb["kind"] == "MongoDBCommunity"
    assert mongodb["spec"]["type"] == "ReplicaSet"
    assert mongodb["spec"]["members"] == 3
    (user,) = mongodb["spec"]["users"]
    assert user["passwordSecretRef"]["name"] in _secrets()


def test_lrs_connects_to_every_member_of_the_operator_replica_set():
    mongodb = _one("mongodb.yaml")
    name = mongodb["metadata"]["name"]
    data = _configmap()
    assert data["LRS_MONGODB_REPLICA_SET"] == name
    hosts = data["LRS_MONGODB_HOSTS"].split(",")
    assert hosts == ["%s-%d.%s-svc:27017" % (name, i, name) for i in range(mongodb["spec"]["members"])]
    (user,) = mongodb["spec"]["users"]
    url = {item["name"]: item for item in _container()["env"]}["LRS_DATABASE_URL"]["value"]
    assert url.startswith("mongodb://%s:" % user["name"]) and "authSource=%s" % user["db"] in url


def test_pods_are_scraped_for_metrics():
    annotations = _deployment()["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/path"] == "/metrics"
    assert annotations["prometheus.io/port"] == str(_container()["ports"][0]["containerPort"])
