import urllib.error
import urllib.request

import pytest

from consumer.health import HealthServer, HealthState
from consumer.metrics import ConsumerMetrics


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture
def served():
    metrics = ConsumerMetrics()
    state = HealthState(stall_timeout_s=60)
    server = HealthServer("127.0.0.1", 0, metrics.registry, state)
    server.start()
    yield server.port, state, metrics
    server.stop()


def test_readyz_needs_model_and_partitions(served):
    port, state, _ = served
    assert get(port, "/readyz") == (503, "model not loaded\n")
    state.model_loaded = True
    assert get(port, "/readyz") == (503, "no partitions assigned\n")
    state.assigned_partitions = 2
    assert get(port, "/readyz") == (200, "ok\n")


def test_livez_fails_when_loop_stalls(served):
    port, state, _ = served
    assert get(port, "/livez")[0] == 200
    state.stall_timeout_s = -1
    status, body = get(port, "/livez")
    assert status == 503
    assert "stalled" in body


def test_metrics_endpoint_serves_registry(served):
    port, _, metrics = served
    metrics.events_dead_lettered.labels(reason="invalid_json").inc(3)
    status, body = get(port, "/metrics")
    assert status == 200
    assert 'ticket_classifier_events_dead_lettered_total{reason="invalid_json"} 3.0' in body


def test_unknown_path_is_404(served):
    assert get(served[0], "/nope")[0] == 404
