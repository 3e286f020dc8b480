"""HTTP endpoints for operators: ``/metrics`` for Prometheus, ``/livez`` and ``/readyz``."""

from __future__ import annotations

import logging
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

logger = logging.getLogger(__name__)


class HealthState:
    """Probe state, updated by the processing loop.

    Live means the loop has come round within ``stall_timeout_s``. Ready means the model is
    loaded and the group has assigned this process at least one partition.
    """

    def __init__(self, stall_timeout_s: float) -> None:
        self.stall_timeout_s = stall_timeout_s
        self.model_loaded = False
        self.assigned_partitions = 0
        self._heartbeat = time.monotonic()

    def beat(self) -> None:
        """Record that the processing loop is making progress."""
        self._heartbeat = time.monotonic()

    def live(self) -> tuple[bool, str]:
        idle = time.monotonic() - self._heartbeat
        if idle > self.stall_timeout_s:
            return False, f"processing loop stalled for {idle:.0f} s"
        return True, "ok"

    def ready(self) -> tuple[bool, str]:
        if not self.model_loaded:
            return False, "model not loaded"
        if self.assigned_partitions == 0:
            return False, "no partitions assigned"
        return True, "ok"


class HealthServer:
    """A small threaded HTTP server running beside the processing loop."""

    def __init__(
        self, host: str, port: int, registry: CollectorRegistry, state: HealthState
    ) -> None:
        handler = _make_handler(registry, state)
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="health-http", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()
        logger.info("health server listening port=%d", self.port)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _make_handler(registry: CollectorRegistry, state: HealthState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._send(HTTPStatus.OK, generate_latest(registry), CONTENT_TYPE_LATEST)
            elif path == "/livez":
                self._probe(*state.live())
            elif path == "/readyz":
                self._probe(*state.ready())
            else:
                self._send(HTTPStatus.NOT_FOUND, b"not found: try /metrics, /livez or /readyz\n")

        def _probe(self, healthy: bool, reason: str) -> None:
            status = HTTPStatus.OK if healthy else HTTPStatus.SERVICE_UNAVAILABLE
            self._send(status, reason.encode() + b"\n")

        def _send(self, status: HTTPStatus, body: bytes, content_type: str = "text/plain") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            logger.debug("health request %s", format % args)

    return Handler
