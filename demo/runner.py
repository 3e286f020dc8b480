"""Helpers to run the consumer as its own process and talk to it, for the demo and the tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from confluent_kafka import Consumer, Producer
from prometheus_client.parser import text_string_to_metric_families

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ConsumerProcess:
    """``python -m consumer`` in a child process, with its metrics port on loopback."""

    def __init__(
        self,
        *,
        bootstrap_servers: str,
        model_dir: Path,
        input_topic: str,
        output_topic: str,
        dead_letter_topic: str,
        group_id: str,
        extra_args: Iterable[str] = (),
        env: Mapping[str, str] | None = None,
        log_path: Path | None = None,
    ) -> None:
        self.metrics_port = free_port()
        self.command = [
            sys.executable, "-m", "consumer",
            "--bootstrap-servers", bootstrap_servers,
            "--model-dir", str(model_dir),
            "--input-topic", input_topic,
            "--output-topic", output_topic,
            "--dead-letter-topic", dead_letter_topic,
            "--group-id", group_id,
            "--metrics-host", "127.0.0.1",
            "--metrics-port", str(self.metrics_port),
            *extra_args,
        ]  # fmt: skip
        self.env = {**os.environ, **(env or {})}
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ConsumerProcess:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        if self.log_path is None:
            self.process = subprocess.Popen(
                self.command, cwd=REPO_ROOT, env=self.env,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            return
        with open(self.log_path, "ab") as log:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                self.command, cwd=REPO_ROOT, env=self.env, stdout=log, stderr=log
            )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.metrics_port}{path}"

    def get(self, path: str) -> tuple[int, str]:
        """GET a path of the health server; returns (status, body)."""
        try:
            with urllib.request.urlopen(self.url(path), timeout=5) as response:  # noqa: S310
                return int(response.status), response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def wait_ready(self, timeout_s: float = 120) -> None:
        """Wait until /readyz returns 200; raise with the process's state otherwise."""
        deadline = time.monotonic() + timeout_s
        last = "no answer"
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                status, body = self.get("/readyz")
                if status == 200:
                    return
                last = body.strip()
            except OSError as exc:
                last = str(exc)
            time.sleep(0.5)
        raise TimeoutError(f"consumer not ready after {timeout_s:.0f} s: {last}")

    def metrics(self) -> dict[str, float]:
        """Return every sample of /metrics as ``name{label="v",...}`` -> value."""
        _, body = self.get("/metrics")
        samples = {}
        for family in text_string_to_metric_families(body):
            for sample in family.samples:
                labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
                samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
        return samples

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout_s: float = 60) -> int:
        """Send ``sig`` and wait for the exit code."""
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        code = int(self.process.returncode)
        self.process = None
        return code

    def _check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(
                f"consumer exited with code {self.process.returncode}; "
                f"see {self.log_path or 'its output'}"
            )


def produce_json(
    bootstrap_servers: str, topic: str, events: Iterable[tuple[bytes | None, Any]]
) -> int:
    """Produce (key, JSON-able value) pairs; raise unless the broker acknowledged every one."""
    producer = Producer({"bootstrap.servers": bootstrap_servers, "acks": "all", "linger.ms": 5})
    errors: list[str] = []

    def on_delivery(error: Any, _message: Any) -> None:
        if error is not None:
            errors.append(str(error))

    count = 0
    for key, value in events:
        payload = (
            value
            if isinstance(value, bytes) or value is None
            else json.dumps(value, ensure_ascii=False).encode()
        )
        while True:
            try:
                producer.produce(topic, key=key, value=payload, on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.1)
        count += 1
    remaining = producer.flush(60)
    if remaining or errors:
        raise RuntimeError(
            f"{remaining + len(errors)} events were not acknowledged by the broker: {errors[:3]}"
        )
    return count


def read_topics(
    bootstrap_servers: str,
    topics: list[str],
    *,
    expected: int,
    timeout_s: float = 120,
    group_id: str = "ticket-classifier-reader",
) -> list[tuple[str, bytes | None, bytes | None]]:
    """Read (topic, key, value) from the start of the topics until ``expected`` records arrive."""
    reader = Consumer(
        {
            "bootstrap.servers": bootstrap_servers,
            "group.id": f"{group_id}-{os.getpid()}-{time.monotonic_ns()}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        }
    )
    reader.subscribe(topics)
    records: list[tuple[str, bytes | None, bytes | None]] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(records) < expected and time.monotonic() < deadline:
            for message in reader.consume(num_messages=500, timeout=0.5):
                if message.error() is None:
                    records.append((str(message.topic()), message.key(), message.value()))
    finally:
        reader.close()
    return records
