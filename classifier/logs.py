"""Logging set-up for the entry points; library modules only call ``logging.getLogger``."""

from __future__ import annotations

import logging
import os


def configure_logging(level: str | None = None) -> None:
    """Send log lines to stderr as ``time level logger message``; level from LOG_LEVEL."""
    logging.basicConfig(
        level=(level or os.environ.get("LOG_LEVEL", "INFO")).upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    # TensorFlow's C++ logs go to stderr too; keep only its warnings and errors.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
