"""One training run, from SQL rows to a scored, reported and (maybe) promoted model version."""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import keras
import pandas as pd

from classifier.artifact import ArtifactMetadata, TimeRange, new_version, write_artifact
from classifier.cleaning import CleaningSettings
from trainer import fitting
from trainer.baseline import BaselineResult, run_baseline
from trainer.calibration import correctness, expected_calibration_error
from trainer.cleaning_pool import CleaningPool, resolve_workers
from trainer.dataset import CLEAN, PreparedData, prepare
from trainer.errors import DataError
from trainer.evaluation import score
from trainer.model import build_model
from trainer.promotion import PromotionDecision, decide, score_current
from trainer.rare import RareClasses, handle_rare
from trainer.report import write_report
from trainer.report_data import build_report
from trainer.settings import TrainerSettings
from trainer.source import (
    LABEL,
    TIME,
    History,
    count_rows,
    create_db_engine,
    read_history,
    redact_url,
)
from trainer.split import Split, make_split

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingResult:
    """Location, metadata, report and training history of the new version."""

    version_dir: Path
    metadata: ArtifactMetadata
    history: dict[str, list[float]]
    train_seconds: float
    report_path: Path
    report: dict[str, Any]
    promotion: PromotionDecision


@dataclass(frozen=True)
class _Loaded:
    prepared: PreparedData
    rows_read: int
    has_time: bool


def run_training(settings: TrainerSettings, history: History | None = None) -> TrainingResult:
    """Read, clean, split, train, calibrate, evaluate, compare, write the artifact and report.

    Steps:
    1. read the history in chunks (or take ``history``) and clean each chunk;
    2. merge or drop rare categories, split by time or at random, encode the training labels;
    3. train with early stopping on a validation score, fit the softmax temperature, and
       (with ``refit``) train a fresh network on the training and validation rows together,
       and (with ``ensemble``) save both networks as one model averaging their logits;
    4. score the test split, and the TF-IDF baseline on the same rows;
    5. score the model in service on the same rows and decide on promotion;
    6. write the version directory (pointing CURRENT at it if promoted) and the report.
    """
    keras.utils.set_random_seed(settings.seed)
    cleaning = CleaningSettings(min_word_length=settings.min_word_length)
    loaded = _load(settings, cleaning, history)

    frame, rare = handle_rare(
        loaded.prepared.frame,
        settings.min_class_examples,
        settings.rare_classes,
        settings.fallback_label,
    )
    split = make_split(
        frame,
        by_time=loaded.has_time,
        test_fraction=settings.test_fraction,
        validation_fraction=settings.validation_fraction,
        seed=settings.seed,
    )
    labels = sorted(split.train[LABEL].unique())
    if len(labels) < 2:
        raise DataError(f"the training split has {len(labels)} category; at least 2 are needed")
    index = {label: position for position, label in enumerate(labels)}
    validation = split.validation[split.validation[LABEL].isin(index)]
    logger.info(
        "split strategy=%s train=%d validation=%d test=%d classes=%d",
        split.strategy,
        len(split.train),
        len(validation),
        len(split.test),
        len(labels),
    )

    model = build_model(split.train[CLEAN].tolist(), len(labels), settings)
    started = time.monotonic()
    fitted = fitting.fit(model, split.train, validation, index, settings)
    train_seconds = time.monotonic() - started

    test_truth = split.test[LABEL].tolist()
    logits = fitting.predict_logits(fitted.model, split.test)
    raw_probabilities = fitting.probabilities(logits)
    test_probabilities = fitting.probabilities(logits, fitted.temperature)
    metrics = score(test_truth, test_probabilities, labels)
    metrics["ece"] = expected_calibration_error(
        *correctness(test_truth, test_probabilities, labels)
    )
    ece_uncalibrated = expected_calibration_error(
        *correctness(test_truth, raw_probabilities, labels)
    )
    logger.info("evaluation test %s", " ".join(f"{k}={v:.4f}" for k, v in metrics.items()))
    baseline = _baseline(settings, split, validation)

    current = score_current(settings.model_dir, split.test[CLEAN].tolist(), test_truth)
    decision = decide(metrics["macro_f1"], current, settings.promotion_tolerance, settings.force)
    log = logger.info if decision.promote else logger.warning
    log(
        "promotion promote=%s new_macro_f1=%.4f current_version=%s current_macro_f1=%s reason=%s",
        decision.promote,
        decision.new_macro_f1,
        decision.current_version,
        f"{decision.current_macro_f1:.4f}" if decision.current_macro_f1 is not None else None,
        decision.reason,
    )

    calibration = {
        "temperature": fitted.temperature,
        "ece": metrics["ece"],
        "ece_uncalibrated": ece_uncalibrated,
    }
    metadata = ArtifactMetadata(
        version=new_version(),
        created_at=datetime.now(UTC),
        labels=labels,
        cleaning=cleaning,
        architecture=settings.architecture,
        hyperparameters=_hyperparameters(settings, fitted),
        metrics=metrics,
        rows=_row_counts(loaded, rare, split, len(validation)),
        data_time_range=_time_range(frame) if loaded.has_time and len(frame) else None,
        source=_source(settings, split.strategy),
        calibration=calibration,
        baseline_metrics=baseline.metrics if baseline else {},
        promotion=decision.as_dict(),
    )
    version_dir = write_artifact(
        settings.model_dir, fitted.model, metadata, promote=decision.promote
    )
    metadata = metadata.model_copy(update={"version": version_dir.name})
    logger.info(
        "trainer wrote version=%s path=%s promoted=%s",
        version_dir.name,
        version_dir,
        decision.promote,
    )

    report = build_report(
        metadata=metadata,
        settings=settings,
        split=split,
        validation=validation,
        test_probabilities=test_probabilities,
        calibration=calibration,
        history=fitted.history,
        train_seconds=train_seconds,
        dropped=loaded.prepared.dropped,
        rare=rare,
        baseline=baseline,
        promotion=decision,
        prepared=frame,
    )
    report_path = write_report(report, version_dir)
    return TrainingResult(
        version_dir=version_dir,
        metadata=metadata,
        history=fitted.history,
        train_seconds=train_seconds,
        report_path=report_path,
        report=report,
        promotion=decision,
    )


def _load(
    settings: TrainerSettings, cleaning: CleaningSettings, history: History | None
) -> _Loaded:
    """Clean ``history`` when given, otherwise read the database chunk by chunk and clean."""
    if history is not None:
        workers = resolve_workers(settings.clean_workers, len(history.frame))
        with CleaningPool(cleaning, workers) as pool:
            prepared = prepare(history.frame, pool, history.has_time)
        return _Loaded(prepared, history.rows_read, history.has_time)

    engine = create_db_engine(settings)
    try:
        workers = resolve_workers(settings.clean_workers, count_rows(settings, engine))
        dropped: Counter[str] = Counter()
        with CleaningPool(cleaning, workers) as pool:

            def clean_chunk(chunk: pd.DataFrame) -> pd.DataFrame:
                part = prepare(chunk, pool, bool(settings.time_column), keep_text=False)
                dropped.update(part.dropped)
                return part.frame

            read = read_history(settings, engine, transform=clean_chunk)
    finally:
        engine.dispose()
    logger.info("dataset prepared rows=%d dropped=%s", len(read.frame), dict(dropped))
    return _Loaded(PreparedData(read.frame, dropped), read.rows_read, read.has_time)


def _baseline(
    settings: TrainerSettings, split: Split, validation: pd.DataFrame
) -> BaselineResult | None:
    if not settings.baseline:
        return None
    older = pd.concat([split.train, validation], ignore_index=True)
    return run_baseline(
        older[CLEAN].tolist(),
        older[LABEL].tolist(),
        split.test[CLEAN].tolist(),
        split.test[LABEL].tolist(),
        settings.seed,
    )


def _hyperparameters(settings: TrainerSettings, fitted: fitting.FittedModel) -> dict[str, object]:
    names = (
        "architecture",
        "max_tokens",
        "sequence_length",
        "embedding_dim",
        "lstm_units",
        "mlp_units",
        "dropout",
        "batch_size",
        "learning_rate",
        "patience",
        "early_stopping",
        "class_weights",
        "refit",
        "ensemble",
        "calibrate",
        "min_class_examples",
        "rare_classes",
        "seed",
        "test_fraction",
        "validation_fraction",
    )
    params: dict[str, object] = {name: getattr(settings, name) for name in names}
    params["epochs_run"] = fitted.epochs_run
    params["refit_epochs"] = fitted.refit_epochs
    params["ensemble_members"] = fitted.members
    return params


def _row_counts(
    loaded: _Loaded, rare: RareClasses, split: Split, n_validation: int
) -> dict[str, int]:
    counts = {"read": loaded.rows_read}
    counts.update({f"dropped_{reason}": count for reason, count in loaded.prepared.dropped.items()})
    if rare.dropped_rows:
        counts["dropped_rare_class"] = rare.dropped_rows
    counts.update(
        train=len(split.train),
        validation=n_validation,
        validation_unseen_label=len(split.validation) - n_validation,
        test=len(split.test),
    )
    return counts


def _time_range(frame: pd.DataFrame) -> TimeRange:
    return TimeRange(start=frame[TIME].min().to_pydatetime(), end=frame[TIME].max().to_pydatetime())


def _source(settings: TrainerSettings, strategy: str) -> dict[str, str]:
    source = {
        "db_url": redact_url(settings.db_url.get_secret_value()),
        "text_column": settings.text_column,
        "label_column": settings.label_column,
        "split": strategy,
    }
    optional = {
        "table": settings.table,
        "query": settings.query,
        "time_column": settings.time_column,
        "key_column": settings.key_column,
        "months": settings.months,
        "since": settings.since,
    }
    source.update({key: str(value) for key, value in optional.items() if value})
    return source
