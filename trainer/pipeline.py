"""One training run, from SQL rows to a promoted model version."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from classifier.artifact import ArtifactMetadata, TimeRange, new_version, write_artifact
from classifier.cleaning import CleaningSettings, TextCleaner
from trainer.dataset import CLEAN, prepare
from trainer.errors import DataError
from trainer.evaluation import score
from trainer.model import ARCHITECTURE, build_lstm
from trainer.settings import TrainerSettings
from trainer.source import LABEL, TIME, History, read_history, redact_url
from trainer.split import Split, make_split

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingResult:
    """Location, metadata and training history of the new version."""

    version_dir: Path
    metadata: ArtifactMetadata
    history: dict[str, list[float]]
    train_seconds: float


def run_training(settings: TrainerSettings, history: History | None = None) -> TrainingResult:
    """Read, clean, split, train, evaluate on the test split, and write the artifact.

    Steps:
    1. read the history (or take ``history``) and clean it;
    2. split by time or at random, and encode labels seen in training;
    3. train with early stopping on the validation loss;
    4. score the test split from argmax predictions;
    5. write the version directory and point CURRENT at it.
    """
    keras.utils.set_random_seed(settings.seed)
    history = history or read_history(settings)
    cleaning = CleaningSettings(min_word_length=settings.min_word_length)
    prepared = prepare(history.frame, TextCleaner(cleaning), history.has_time)

    split = make_split(
        prepared.frame,
        by_time=history.has_time,
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

    model = build_lstm(split.train[CLEAN].tolist(), len(labels), settings)
    started = time.monotonic()
    fit = model.fit(
        _dataset(split.train, index, settings, shuffle=True),
        validation_data=_dataset(validation, index, settings, shuffle=False),
        epochs=settings.epochs,
        callbacks=[
            keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=settings.patience, restore_best_weights=True
            )
        ],
        shuffle=False,  # the dataset shuffles itself; Keras warns when asked to as well
        verbose=2,
    )
    train_seconds = time.monotonic() - started

    probabilities = model.predict(_texts(split.test), batch_size=256, verbose=0)
    metrics = score(split.test[LABEL].tolist(), probabilities, labels)
    logger.info("evaluation test %s", " ".join(f"{k}={v:.4f}" for k, v in metrics.items()))

    metadata = ArtifactMetadata(
        version=new_version(),
        created_at=datetime.now(UTC),
        labels=labels,
        cleaning=cleaning,
        architecture=ARCHITECTURE,
        hyperparameters=_hyperparameters(settings, fit.epoch),
        metrics=metrics,
        rows=_row_counts(history, prepared.dropped, split, len(validation)),
        data_time_range=_time_range(prepared.frame) if history.has_time else None,
        source=_source(settings, split.strategy),
    )
    version_dir = write_artifact(settings.model_dir, model, metadata)
    logger.info("trainer wrote version=%s path=%s", version_dir.name, version_dir)
    return TrainingResult(
        version_dir=version_dir,
        metadata=metadata.model_copy(update={"version": version_dir.name}),
        history={key: [float(v) for v in values] for key, values in fit.history.items()},
        train_seconds=train_seconds,
    )


def _texts(frame: pd.DataFrame) -> tf.Tensor:
    return tf.constant(np.asarray(frame[CLEAN].tolist(), dtype=object).reshape(-1, 1))


def _dataset(
    frame: pd.DataFrame, index: dict[str, int], settings: TrainerSettings, *, shuffle: bool
) -> tf.data.Dataset:
    targets = np.asarray([index[label] for label in frame[LABEL]], dtype=np.int32)
    dataset = tf.data.Dataset.from_tensor_slices((_texts(frame), targets))
    if shuffle:
        dataset = dataset.shuffle(len(frame), seed=settings.seed, reshuffle_each_iteration=True)
    return dataset.batch(settings.batch_size).prefetch(tf.data.AUTOTUNE)


def _hyperparameters(settings: TrainerSettings, epochs: list[int]) -> dict[str, object]:
    names = (
        "max_tokens",
        "sequence_length",
        "embedding_dim",
        "lstm_units",
        "dropout",
        "batch_size",
        "learning_rate",
        "patience",
        "seed",
        "test_fraction",
        "validation_fraction",
    )
    params: dict[str, object] = {name: getattr(settings, name) for name in names}
    params["epochs_run"] = len(epochs)
    return params


def _row_counts(
    history: History, dropped: dict[str, int], split: Split, n_validation: int
) -> dict[str, int]:
    counts = {"read": history.rows_read}
    counts.update({f"dropped_{reason}": count for reason, count in dropped.items()})
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
    if settings.table:
        source["table"] = settings.table
    if settings.query:
        source["query"] = settings.query
    if settings.time_column:
        source["time_column"] = settings.time_column
    return source
