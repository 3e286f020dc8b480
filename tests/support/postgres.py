"""A throwaway PostgreSQL server on 127.0.0.1, started from the Debian or local binaries."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from demo.runner import free_port


def find_bindir() -> Path | None:
    """Return the directory with initdb and pg_ctl, or None when PostgreSQL is not installed."""
    for pattern in ("/usr/lib/postgresql/*/bin",):
        for candidate in sorted(glob.glob(pattern), reverse=True):
            if Path(candidate, "initdb").is_file():
                return Path(candidate)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@contextlib.contextmanager
def running_postgres(bindir: Path, base: Path) -> Iterator[str]:
    """Run a server in ``base`` for the duration of the block; yields a SQLAlchemy URL.

    PostgreSQL refuses to run as root, so under root the server runs as the ``postgres`` user.
    """
    data = base / "pgdata"
    base.mkdir(parents=True, exist_ok=True)
    run_as: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(base, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    port = free_port()

    subprocess.run(
        [*run_as, str(bindir / "initdb"), "-D", str(data), "-U", "tester", "--auth=trust",
         "--encoding=UTF8", "--locale=C.UTF-8"],
        check=True, capture_output=True,
    )  # fmt: skip
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={base}"
    subprocess.run(
        [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l",
         str(base / "server.log"), "-w", "start"],
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        _wait(port)
        yield f"postgresql+psycopg://tester@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
            check=False, capture_output=True,
        )  # fmt: skip


def _wait(port: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"PostgreSQL did not listen on port {port}")
