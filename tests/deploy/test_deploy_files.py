"""Checks of the files under deploy/ against the code they configure.

Nothing here needs Docker or a cluster. The promtool checks run when promtool is on PATH.
Without it they are skipped, except under CI=true, where they fail.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from consumer.health import HealthServer, HealthState
from consumer.metrics import ConsumerMetrics
from consumer.settings import ConsumerSettings
from trainer.settings import TrainerSettings

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = REPO_ROOT / "deploy"
K8S = DEPLOY / "k8s"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "ticket-classifier.json"

YAML_FILES = sorted(p for p in DEPLOY.rglob("*") if p.suffix in (".yml", ".yaml"))
TEXT_FILES = [
    *sorted(p for p in DEPLOY.rglob("*") if p.suffix in (".yml", ".yaml", ".json", ".md")),
    DEPLOY / "Dockerfile",
]

# Manifests that kustomization.yaml leaves out on purpose: the ServiceMonitor needs the
# Prometheus Operator's CRDs, which not every cluster has.
OPTIONAL_MANIFESTS = {"servicemonitor.yaml"}

# Sample names prometheus_client exposes for each metric type, as suffixes of the family name.
SAMPLE_SUFFIXES: dict[str, tuple[str, ...]] = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("", "_count", "_sum", "_created"),
    "info": ("_info",),
}

METRIC_NAME = re.compile(r"(?<![A-Za-z0-9_:])ticket_classifier_[a-z0-9_]+")
SETTING_NAME = re.compile(r"(?<![A-Za-z0-9_])(?:CONSUMER|TRAINER)_[A-Z0-9_]+")
# Values put in place of the Grafana variables, so that promtool can parse the panel queries.
GRAFANA_VARIABLES = {
    "__rate_interval": "5m",
    "__interval": "1m",
    "__range": "1h",
    "job": ".+",
    "instance": ".+",
}


def load_documents(path: Path) -> list[dict[str, Any]]:
    """Parse every YAML document in ``path`` and fail on one that is not a mapping."""
    documents = []
    for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
        if document is None:
            continue
        assert isinstance(document, dict), f"{path}: a document is {type(document).__name__}"
        documents.append(document)
    return documents


def load_one(path: Path) -> dict[str, Any]:
    documents = load_documents(path)
    assert len(documents) == 1, f"{path}: expected one YAML document, found {len(documents)}"
    return documents[0]


def k8s_objects() -> list[dict[str, Any]]:
    objects = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name != "kustomization.yaml":
            objects.extend(load_documents(path))
    return objects


def k8s_object(kind: str, name: str) -> dict[str, Any]:
    matches = [
        obj for obj in k8s_objects() if obj["kind"] == kind and obj["metadata"]["name"] == name
    ]
    assert len(matches) == 1, f"expected one {kind} named {name} in deploy/k8s"
    return matches[0]


def consumer_deployment() -> dict[str, Any]:
    return k8s_object("Deployment", "ticket-classifier")


def trainer_pod_spec() -> dict[str, Any]:
    cronjob = k8s_object("CronJob", "ticket-classifier-trainer")
    spec: dict[str, Any] = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return spec


def consumer_container() -> dict[str, Any]:
    containers = consumer_deployment()["spec"]["template"]["spec"]["containers"]
    matches = [c for c in containers if c["name"] == "consumer"]
    assert len(matches) == 1, "the Deployment has no container named consumer"
    container: dict[str, Any] = matches[0]
    return container


def configmap_data(name: str) -> dict[str, str]:
    data = k8s_object("ConfigMap", name)["data"]
    return {str(key): str(value) for key, value in data.items()}


def secret_data(name: str) -> dict[str, str]:
    data = k8s_object("Secret", name)["stringData"]
    return {str(key): str(value) for key, value in data.items()}


def compose_services() -> dict[str, Any]:
    services: dict[str, Any] = load_one(DEPLOY / "compose.yaml")["services"]
    return services


def field_default(settings_class: type[BaseSettings], name: str) -> Any:
    return settings_class.model_fields[name].default


def effective_metrics_port() -> int:
    """Return the port the consumer listens on with the Kubernetes ConfigMap applied."""
    configured = configmap_data("ticket-classifier-consumer").get("CONSUMER_METRICS_PORT")
    if configured is not None:
        return int(configured)
    return int(field_default(ConsumerSettings, "metrics_port"))


def effective_shutdown_timeout_s() -> float:
    configured = configmap_data("ticket-classifier-consumer").get("CONSUMER_SHUTDOWN_TIMEOUT_S")
    if configured is not None:
        return float(configured)
    return float(field_default(ConsumerSettings, "shutdown_timeout_s"))


def resolve_container_port(container: dict[str, Any], port: int | str) -> int:
    """Turn a probe's or Service's port, a number or a port name, into a container port."""
    if isinstance(port, int):
        return port
    for declared in container.get("ports", []):
        if declared.get("name") == port:
            return int(declared["containerPort"])
    raise AssertionError(f"container {container['name']} has no port named {port!r}")


def metric_families() -> set[str]:
    return {family.name for family in ConsumerMetrics(CollectorRegistry()).registry.collect()}


def known_sample_names() -> set[str]:
    """Return every sample name the consumer can expose, labelled metrics included."""
    metrics = ConsumerMetrics(CollectorRegistry())
    names: set[str] = set()
    for family in metrics.registry.collect():
        assert family.type in SAMPLE_SUFFIXES, f"no sample suffixes for type {family.type}"
        names.update(sample.name for sample in family.samples)
        names.update(family.name + suffix for suffix in SAMPLE_SUFFIXES[family.type])
    return names


def known_setting_names(settings_class: type[BaseSettings]) -> set[str]:
    """Return the environment variables a settings class reads, aliases included."""
    prefix = str(settings_class.model_config.get("env_prefix", ""))
    names = set()
    for name, field in settings_class.model_fields.items():
        names.add((prefix + name).upper())
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(choice for choice in alias.choices if isinstance(choice, str))
        elif isinstance(alias, str):
            names.add(alias)
    return names


def settings_from_env(
    settings_class: type[BaseSettings], env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> BaseSettings:
    """Build ``settings_class`` from ``env`` alone, as a container with that environment would."""
    for name in known_setting_names(settings_class):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return settings_class()


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return loaded


def dashboard_panels() -> list[dict[str, Any]]:
    panels: list[dict[str, Any]] = dashboard()["panels"]
    return panels


def dashboard_exprs() -> list[tuple[str, str]]:
    """Return (panel title and refId, expr) for every query of every panel."""
    return [
        (f"{panel['title']} {target['refId']}", target["expr"])
        for panel in dashboard_panels()
        for target in panel.get("targets", [])
    ]


def alert_rules() -> list[dict[str, Any]]:
    return [rule for group in load_one(ALERTS)["groups"] for rule in group["rules"]]


def parse_duration_s(text: str) -> float:
    match = re.fullmatch(r"(\d+)(ms|s|m|h)", text)
    assert match, f"cannot read duration {text!r}"
    unit = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[match.group(2)]
    return int(match.group(1)) * unit


@pytest.fixture(scope="module")
def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("promtool is not on PATH; install it in CI (Debian package: prometheus)")
        pytest.skip("promtool is not on PATH (Debian package: prometheus)")
    return path


def run_promtool(promtool: str, *args: str) -> None:
    result = subprocess.run(
        [promtool, *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, (
        f"promtool {' '.join(args)} failed:\n{result.stdout}{result.stderr}"
    )


@pytest.fixture
def health_server() -> Iterator[str]:
    """Run the consumer's health server on loopback and yield its base URL."""
    metrics = ConsumerMetrics(CollectorRegistry())
    server = HealthServer("127.0.0.1", 0, metrics.registry, HealthState(stall_timeout_s=60))
    server.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.stop()


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback URL
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


# Parsing


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_yaml_file_parses(path: Path) -> None:
    assert load_documents(path), f"{path} has no YAML document"


def test_yaml_files_found() -> None:
    names = {str(p.relative_to(DEPLOY)) for p in YAML_FILES}
    assert "compose.yaml" in names
    assert "prometheus/alerts.yml" in names
    assert "k8s/deployment.yaml" in names


def test_dashboard_is_json_object() -> None:
    assert isinstance(dashboard(), dict)
    assert dashboard_panels(), "the dashboard has no panels"


# promtool


def test_promtool_check_rules(promtool: str) -> None:
    run_promtool(promtool, "check", "rules", str(ALERTS))


def test_promtool_alert_unit_tests(promtool: str) -> None:
    run_promtool(promtool, "test", "rules", str(DEPLOY / "prometheus" / "alerts.test.yml"))


def test_promtool_check_config(promtool: str) -> None:
    run_promtool(promtool, "check", "config", str(DEPLOY / "prometheus" / "prometheus.yml"))


def test_dashboard_queries_are_valid_promql(promtool: str, tmp_path: Path) -> None:
    rules = []
    for index, (where, expr) in enumerate(dashboard_exprs()):
        unknown = set(re.findall(r"\$\{?(\w+)", expr)) - GRAFANA_VARIABLES.keys()
        assert not unknown, f"panel {where}: unknown Grafana variables {sorted(unknown)}"
        for name, value in sorted(GRAFANA_VARIABLES.items(), key=lambda kv: -len(kv[0])):
            expr = expr.replace("${" + name + "}", value).replace("$" + name, value)
        rules.append({"record": f"dashboard:query_{index}", "expr": expr})
    rule_file = tmp_path / "dashboard-queries.yml"
    rule_file.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))

    run_promtool(promtool, "check", "rules", str(rule_file))


# Metric names


def test_alert_queries_name_exposed_samples() -> None:
    samples = known_sample_names()
    queried = set()

    for rule in alert_rules():
        referenced = set(METRIC_NAME.findall(rule["expr"]))
        assert referenced <= samples, f"{rule['alert']}: {sorted(referenced - samples)}"
        queried |= referenced
    assert len(queried) >= 5, f"the alert rules query only {sorted(queried)}"


def test_dashboard_queries_name_exposed_samples() -> None:
    samples = known_sample_names()

    for where, expr in dashboard_exprs():
        referenced = set(METRIC_NAME.findall(expr))
        assert referenced, f"panel {where} queries no consumer metric"
        assert referenced <= samples, f"panel {where}: {sorted(referenced - samples)}"


@pytest.mark.parametrize("path", TEXT_FILES, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_metric_names_in_file_exist(path: Path) -> None:
    # Prose (annotations, comments, the README) may name a metric family as well as a sample.
    known = known_sample_names() | metric_families()
    referenced = set(METRIC_NAME.findall(path.read_text(encoding="utf-8")))
    unknown = referenced - known
    assert not unknown, f"{path.relative_to(REPO_ROOT)} names metrics the consumer lacks"


def test_dashboard_shows_every_metric_family() -> None:
    referenced = {name for _, expr in dashboard_exprs() for name in METRIC_NAME.findall(expr)}
    missing = {f for f in metric_families() if not any(n.startswith(f) for n in referenced)}
    assert not missing, f"the dashboard shows no series of {sorted(missing)}"


# Settings


@pytest.mark.parametrize("path", TEXT_FILES, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_setting_variables_exist(path: Path) -> None:
    known = known_setting_names(ConsumerSettings) | known_setting_names(TrainerSettings)
    referenced = set(SETTING_NAME.findall(path.read_text(encoding="utf-8")))
    unknown = referenced - known
    assert not unknown, f"{path.relative_to(REPO_ROOT)} sets variables no settings field reads"


def test_consumer_configmap_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    env = configmap_data("ticket-classifier-consumer")
    secret = secret_data("ticket-classifier")
    env["CONSUMER_KAFKA_PROPERTIES"] = secret["CONSUMER_KAFKA_PROPERTIES"]
    settings = settings_from_env(ConsumerSettings, env, monkeypatch)

    assert isinstance(settings, ConsumerSettings)
    assert settings.model_dir == Path("/models")


def test_trainer_configmap_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    env = configmap_data("ticket-classifier-trainer")
    env["TRAINER_DB_URL"] = secret_data("ticket-classifier")["TRAINER_DB_URL"]
    settings = settings_from_env(TrainerSettings, env, monkeypatch)

    assert isinstance(settings, TrainerSettings)
    assert settings.db_url.get_secret_value().startswith("mssql+pymssql://")
    assert settings.model_dir == Path("/models")


def test_compose_consumer_environment_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {str(k): str(v) for k, v in compose_services()["consumer"]["environment"].items()}
    settings = settings_from_env(ConsumerSettings, env, monkeypatch)

    assert isinstance(settings, ConsumerSettings)
    advertised = compose_services()["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"]
    assert f"PLAINTEXT://{settings.bootstrap_servers}" in advertised.split(",")


def test_compose_trainer_writes_consumer_model_dir() -> None:
    services = compose_services()
    consumer_dir = services["consumer"]["environment"]["CONSUMER_MODEL_DIR"]

    assert services["trainer"]["environment"]["TRAINER_MODEL_DIR"] == consumer_dir
    assert f"models:{consumer_dir}" in services["trainer"]["volumes"]
    assert f"models:{consumer_dir}:ro" in services["consumer"]["volumes"]


# Probes, ports and shutdown


def test_deployment_probes_use_health_paths() -> None:
    container = consumer_container()

    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"


def test_deployment_probes_use_metrics_port() -> None:
    container = consumer_container()
    expected = effective_metrics_port()

    for probe in ("readinessProbe", "livenessProbe"):
        port = container[probe]["httpGet"]["port"]
        assert resolve_container_port(container, port) == expected, probe


def test_metrics_port_defaults_to_9108() -> None:
    assert field_default(ConsumerSettings, "metrics_port") == 9108
    assert effective_metrics_port() == 9108


def test_probe_paths_served_by_health_server(health_server: str) -> None:
    container = consumer_container()
    annotations = k8s_object("Service", "ticket-classifier")["metadata"]["annotations"]
    paths = {
        container["readinessProbe"]["httpGet"]["path"],
        container["livenessProbe"]["httpGet"]["path"],
        annotations["prometheus.io/path"],
    }

    for path in sorted(paths):
        assert http_status(health_server + path) in (200, 503), path
    assert http_status(health_server + "/no-such-path") == 404


def test_service_targets_metrics_port() -> None:
    service = k8s_object("Service", "ticket-classifier")
    annotations = service["metadata"]["annotations"]
    (port,) = service["spec"]["ports"]

    assert resolve_container_port(consumer_container(), port["targetPort"]) == (
        effective_metrics_port()
    )
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(effective_metrics_port())
    assert annotations["prometheus.io/path"] == "/metrics"


def test_grace_period_exceeds_shutdown_timeout() -> None:
    pod = consumer_deployment()["spec"]["template"]["spec"]

    assert pod["terminationGracePeriodSeconds"] > effective_shutdown_timeout_s()
    assert pod["terminationGracePeriodSeconds"] > field_default(
        ConsumerSettings, "shutdown_timeout_s"
    )


def test_compose_grace_period_exceeds_shutdown_timeout() -> None:
    grace = parse_duration_s(compose_services()["consumer"]["stop_grace_period"])

    assert grace > field_default(ConsumerSettings, "shutdown_timeout_s")


def test_dockerfile_port_and_healthcheck() -> None:
    lines = (DEPLOY / "Dockerfile").read_text(encoding="utf-8").splitlines()
    port = str(field_default(ConsumerSettings, "metrics_port"))
    healthcheck = " ".join(line for line in lines if not line.startswith("#") and "livez" in line)

    assert f"EXPOSE {port}" in lines
    assert "/livez" in healthcheck
    assert f"'{port}'" in healthcheck
    assert 'CMD ["python", "-m", "consumer"]' in lines
    assert any(line.startswith("USER ") and "root" not in line for line in lines)


# Kubernetes objects


def test_kustomization_lists_every_manifest() -> None:
    listed = set(load_one(K8S / "kustomization.yaml")["resources"])
    present = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}

    assert listed <= present, f"listed but missing: {sorted(listed - present)}"
    assert present - listed == OPTIONAL_MANIFESTS


def test_manifests_name_no_namespace() -> None:
    for obj in k8s_objects():
        assert "namespace" not in obj["metadata"], f"{obj['kind']} {obj['metadata']['name']}"


def test_selectors_match_consumer_pods() -> None:
    pod_labels = consumer_deployment()["spec"]["template"]["metadata"]["labels"]
    selectors = {
        "Deployment": consumer_deployment()["spec"]["selector"]["matchLabels"],
        "Service": k8s_object("Service", "ticket-classifier")["spec"]["selector"],
        "PodDisruptionBudget": k8s_object("PodDisruptionBudget", "ticket-classifier")["spec"][
            "selector"
        ]["matchLabels"],
    }

    for kind, selector in selectors.items():
        assert selector.items() <= pod_labels.items(), kind


def test_model_claim_shared_read_write_many() -> None:
    claim = k8s_object("PersistentVolumeClaim", "ticket-classifier-models")
    consumer_pod = consumer_deployment()["spec"]["template"]["spec"]

    assert "ReadWriteMany" in claim["spec"]["accessModes"]
    for pod in (trainer_pod_spec(), consumer_pod):
        volumes = [v for v in pod["volumes"] if "persistentVolumeClaim" in v]
        claims = {v["persistentVolumeClaim"]["claimName"] for v in volumes}
        assert claims == {claim["metadata"]["name"]}


def test_env_sources_exist() -> None:
    containers = [consumer_container(), *trainer_pod_spec()["containers"]]

    for container in containers:
        for source in container.get("envFrom", []):
            assert configmap_data(source["configMapRef"]["name"])
        for variable in container.get("env", []):
            ref = variable.get("valueFrom", {}).get("secretKeyRef")
            if ref is not None:
                assert ref["key"] in secret_data(ref["name"]), variable["name"]


def test_secret_example_is_marked_placeholder() -> None:
    assert "REPLACE_ME" in secret_data("ticket-classifier")["TRAINER_DB_URL"]


# Prometheus and Grafana wiring


def test_alert_rules_select_scrape_job() -> None:
    prometheus = load_one(DEPLOY / "prometheus" / "prometheus.yml")
    (job,) = [c for c in prometheus["scrape_configs"] if c["job_name"] != "prometheus"]
    selected = set(re.findall(r'job="([^"]+)"', ALERTS.read_text(encoding="utf-8")))

    assert selected == {job["job_name"]}
    assert job["dns_sd_configs"][0]["port"] == field_default(ConsumerSettings, "metrics_port")
    assert job["dns_sd_configs"][0]["names"] == ["consumer"]


def test_every_alert_has_both_languages() -> None:
    for rule in alert_rules():
        annotations = rule["annotations"]
        for key in ("summary", "description", "summary_ru", "description_ru"):
            assert annotations.get(key), f"{rule['alert']} has no {key}"
        assert re.search("[а-яё]", annotations["summary_ru"], re.IGNORECASE), rule["alert"]
        assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]


def test_dashboard_panels_use_datasource_variable() -> None:
    variables = {v["name"]: v for v in dashboard()["templating"]["list"]}

    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    for panel in dashboard_panels():
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${datasource}", panel["title"]


def test_dashboard_panels_do_not_overlap() -> None:
    cells: dict[tuple[int, int], str] = {}
    ids = [panel["id"] for panel in dashboard_panels()]

    assert len(ids) == len(set(ids)), "panel ids repeat"
    for panel in dashboard_panels():
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps {cells[(x, y)]}"
                cells[(x, y)] = panel["title"]


def test_grafana_provisioning_matches_compose() -> None:
    services = compose_services()
    datasources = load_one(DEPLOY / "grafana/provisioning/datasources/prometheus.yml")
    providers = load_one(DEPLOY / "grafana/provisioning/dashboards/ticket-classifier.yml")
    mounts = services["grafana"]["volumes"]

    (datasource,) = datasources["datasources"]
    assert datasource["url"] == "http://prometheus:9090"
    assert "127.0.0.1:9090:9090" in services["prometheus"]["ports"]
    (provider,) = providers["providers"]
    assert f"./grafana/dashboards:{provider['options']['path']}:ro" in mounts
