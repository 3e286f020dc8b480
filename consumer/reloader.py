"""Model hot reload: load a new version beside the one in service, hand it over between batches.

A background thread checks the model directory every ``model_poll_interval_s`` seconds and on
SIGHUP. A version that fails to load or to score a probe text is rejected with a logged reason,
and the version in service keeps serving.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from classifier.artifact import ArtifactError, ModelArtifact, resolve_version_dir
from consumer.metrics import ConsumerMetrics

logger = logging.getLogger(__name__)

# Scored once by every new version before it is accepted.
PROBE_TEXTS = ["не работать лифт в подъезд", "вода"]


class ModelReloader:
    """Watches a model directory and prepares new versions for :meth:`take`."""

    def __init__(
        self,
        model_dir: Path,
        current_version: str,
        metrics: ConsumerMetrics,
        poll_interval_s: float,
    ) -> None:
        self.model_dir = model_dir
        self.metrics = metrics
        self.poll_interval_s = poll_interval_s
        self._current_version = current_version
        self._rejected_version: str | None = None
        self._ready: ModelArtifact | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="model-reloader", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()

    def request_check(self) -> None:
        """Check the directory now (SIGHUP), retrying a version rejected before."""
        self._rejected_version = None
        self._wake.set()

    def take(self) -> ModelArtifact | None:
        """Return a newly loaded version once, or None; called by the loop between batches."""
        with self._lock:
            artifact, self._ready = self._ready, None
        if artifact is not None:
            self._current_version = artifact.version
        return artifact

    def _watch(self) -> None:
        timeout = self.poll_interval_s or None
        while not self._stopped.is_set():
            self._wake.wait(timeout)
            self._wake.clear()
            if not self._stopped.is_set():
                self.check()

    def check(self) -> None:
        """Load the version the directory now points at, if it is new and not rejected."""
        try:
            version_dir = resolve_version_dir(self.model_dir)
        except ArtifactError as exc:
            logger.warning("model reload skipped: %s", exc)
            return
        name = version_dir.name if version_dir != self.model_dir else ""
        with self._lock:
            pending = self._ready.version if self._ready else None
        if name in (self._current_version, self._rejected_version, pending):
            return

        try:
            artifact = ModelArtifact.load(self.model_dir)
            probabilities = artifact.predict_proba(PROBE_TEXTS)
            if probabilities.shape != (len(PROBE_TEXTS), len(artifact.metadata.labels)):
                raise ArtifactError(f"probe scoring returned shape {probabilities.shape}")
        except Exception as exc:  # a broken version of any kind must not stop the service
            self._rejected_version = name
            self.metrics.model_reload_failures.inc()
            logger.error(
                "model reload rejected version=%s path=%s reason=%s; version %s keeps serving",
                name, version_dir, exc, self._current_version,
            )  # fmt: skip
            return
        with self._lock:
            self._ready = artifact
        logger.info("model reload prepared version=%s", artifact.version)
