"""Text cleaning for large histories, spread over worker processes.

pymorphy3 lemmatization is pure Python, so threads do not help; worker processes do, once a
history is large enough to pay for starting them (about a second each, to import pymorphy3 and
load its dictionaries). Every worker keeps its own :class:`TextCleaner` with its lemma cache for
the whole run, and texts travel in batches, so the caches stay warm.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from types import TracebackType
from typing import Protocol

from tqdm import tqdm

from classifier.cleaning import CleaningSettings, TextCleaner
from classifier.i18n import tr

logger = logging.getLogger(__name__)

# Below this many rows one process cleans faster than starting the workers would allow.
PARALLEL_MIN_ROWS = 50_000
MAX_AUTO_WORKERS = 8
BATCH_TEXTS = 2_000

_worker_cleaner: TextCleaner | None = None


class BatchCleaner(Protocol):
    """Anything that cleans a list of texts in order: a TextCleaner or a CleaningPool."""

    def clean_many(self, texts: Sequence[str]) -> list[str]: ...


def resolve_workers(requested: int, expected_rows: int) -> int:
    """Return the worker count: ``requested``, or for 0 one per core for large histories."""
    if requested:
        return requested
    if expected_rows < PARALLEL_MIN_ROWS:
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_AUTO_WORKERS))


def _start_worker(settings: CleaningSettings) -> None:
    global _worker_cleaner
    _worker_cleaner = TextCleaner(settings)


def _clean_batch(texts: list[str]) -> list[str]:
    assert _worker_cleaner is not None, "worker started without its cleaner"
    return _worker_cleaner.clean_many(texts)


class CleaningPool:
    """Cleans batches of texts in ``workers`` processes, or in this one when ``workers`` is 1.

    Use it as a context manager so the worker processes stop when training ends.
    """

    def __init__(self, settings: CleaningSettings, workers: int = 1) -> None:
        self.settings = settings
        self.workers = workers
        self._local = TextCleaner(settings) if workers <= 1 else None
        self._executor: ProcessPoolExecutor | None = None
        if workers > 1:
            # spawn, not fork, because fork would copy the TensorFlow threads of the trainer.
            self._executor = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(settings,),
            )
        logger.info("cleaning workers=%d", workers)

    def clean_many(self, texts: Sequence[str]) -> list[str]:
        """Clean each text, keeping the order."""
        progress = tqdm(
            total=len(texts),
            desc=tr("cleaning texts", "очистка текстов"),
            unit=" texts",
            mininterval=2,
            leave=False,
        )
        with progress:
            if self._local is not None:
                cleaned = []
                for text in texts:
                    cleaned.append(self._local.clean(text))
                    progress.update()
                return cleaned

            assert self._executor is not None
            batches = [list(texts[i : i + BATCH_TEXTS]) for i in range(0, len(texts), BATCH_TEXTS)]
            result: list[str] = []
            for batch in self._executor.map(_clean_batch, batches):
                result.extend(batch)
                progress.update(len(batch))
            return result

    def close(self) -> None:
        """Stop the worker processes."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def __enter__(self) -> CleaningPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
