"""The librdkafka mock cluster, driven through its C API.

confluent-kafka ships librdkafka with the mock cluster compiled in but exposes no Python API for
it. Calling the C functions directly lets a test choose partition counts and take brokers down
and up again, which ``test.mock.num.brokers`` alone cannot do.
"""

from __future__ import annotations

import ctypes
import glob
import os
from pathlib import Path

import confluent_kafka

_RD_KAFKA_PRODUCER = 0
_ERRSTR_SIZE = 512


class MockClusterError(Exception):
    """A call into the librdkafka mock cluster failed."""


def _load_librdkafka() -> ctypes.CDLL:
    package = Path(confluent_kafka.__file__).resolve().parent
    candidates = sorted(glob.glob(str(package.parent / "confluent_kafka.libs" / "librdkafka*.so*")))
    candidates += sorted(glob.glob(str(package / ".dylibs" / "librdkafka*.dylib")))
    if not candidates:
        raise MockClusterError(f"librdkafka not found next to {package}")
    lib = ctypes.CDLL(candidates[0], mode=os.RTLD_NOLOAD | os.RTLD_GLOBAL)

    lib.rd_kafka_conf_new.restype = ctypes.c_void_p
    lib.rd_kafka_conf_set.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.c_char_p,
        ctypes.c_char_p,
        ctypes.c_size_t,
    ]
    lib.rd_kafka_new.restype = ctypes.c_void_p
    lib.rd_kafka_new.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
    lib.rd_kafka_destroy.argtypes = [ctypes.c_void_p]
    lib.rd_kafka_mock_cluster_new.restype = ctypes.c_void_p
    lib.rd_kafka_mock_cluster_new.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.rd_kafka_mock_cluster_destroy.argtypes = [ctypes.c_void_p]
    lib.rd_kafka_mock_cluster_bootstraps.restype = ctypes.c_char_p
    lib.rd_kafka_mock_cluster_bootstraps.argtypes = [ctypes.c_void_p]
    lib.rd_kafka_mock_topic_create.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_int,
    ]
    lib.rd_kafka_mock_broker_set_down.argtypes = [ctypes.c_void_p, ctypes.c_int32]
    lib.rd_kafka_mock_broker_set_up.argtypes = [ctypes.c_void_p, ctypes.c_int32]
    lib.rd_kafka_mock_push_request_errors_array.argtypes = [
        ctypes.c_void_p,
        ctypes.c_int16,
        ctypes.c_size_t,
        ctypes.POINTER(ctypes.c_int),
    ]
    lib.rd_kafka_err2str.restype = ctypes.c_char_p
    lib.rd_kafka_err2str.argtypes = [ctypes.c_int]
    return lib


class MockCluster:
    """A running mock cluster; brokers are numbered from 1 and listen on 127.0.0.1."""

    def __init__(self, brokers: int = 1) -> None:
        self._lib = _load_librdkafka()
        errstr = ctypes.create_string_buffer(_ERRSTR_SIZE)
        conf = self._lib.rd_kafka_conf_new()
        self._lib.rd_kafka_conf_set(conf, b"log_level", b"3", errstr, _ERRSTR_SIZE)
        self._handle = self._lib.rd_kafka_new(_RD_KAFKA_PRODUCER, conf, errstr, _ERRSTR_SIZE)
        if not self._handle:
            raise MockClusterError(f"rd_kafka_new failed: {errstr.value.decode()}")
        self._cluster = self._lib.rd_kafka_mock_cluster_new(self._handle, brokers)
        if not self._cluster:
            self._lib.rd_kafka_destroy(self._handle)
            raise MockClusterError("rd_kafka_mock_cluster_new failed")
        self.brokers = brokers
        self.bootstrap_servers: str = self._lib.rd_kafka_mock_cluster_bootstraps(
            self._cluster
        ).decode()

    def create_topic(self, name: str, partitions: int) -> None:
        """Create a topic; creating an existing one again is accepted by the mock."""
        error = self._lib.rd_kafka_mock_topic_create(
            self._cluster, name.encode(), partitions, min(3, self.brokers)
        )
        if error:
            reason = self._lib.rd_kafka_err2str(error).decode()
            raise MockClusterError(f"cannot create topic {name}: {reason}")

    def set_broker_down(self, broker_id: int) -> None:
        """Close the broker's connections and refuse new ones, as a crashed broker would."""
        self._lib.rd_kafka_mock_broker_set_down(self._cluster, broker_id)

    def set_broker_up(self, broker_id: int) -> None:
        self._lib.rd_kafka_mock_broker_set_up(self._cluster, broker_id)

    def push_request_errors(self, api_key: int, errors: list[int]) -> None:
        """Make the next ``len(errors)`` requests of ``api_key`` (0 is Produce) fail in order."""
        array = (ctypes.c_int * len(errors))(*errors)
        self._lib.rd_kafka_mock_push_request_errors_array(
            self._cluster, api_key, len(errors), array
        )

    def close(self) -> None:
        if self._cluster:
            self._lib.rd_kafka_mock_cluster_destroy(self._cluster)
            self._cluster = None
        if self._handle:
            self._lib.rd_kafka_destroy(self._handle)
            self._handle = None
