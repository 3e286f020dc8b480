"""Russian or English for what people read: CLI help, progress, reports.

Log lines, metric names and identifiers stay in English whatever the locale.
"""

from __future__ import annotations

import os

_LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")


def is_russian() -> bool:
    """Return True when the first locale variable that is set names Russian (``ru_RU.UTF-8``)."""
    for name in _LOCALE_VARIABLES:
        value = os.environ.get(name)
        if value:
            return value.lower().startswith("ru")
    return False


def tr(english: str, russian: str) -> str:
    """Pick the text for the user's locale."""
    return russian if is_russian() else english
