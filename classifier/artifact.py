"""The versioned model artifact: what the trainer writes and the consumer loads.

Layout of a model directory::

    MODEL_DIR/
      CURRENT                  name of the version in service (one line)
      20261204T201500Z/        one version
        model.keras            Keras model; its TextVectorization layer carries the vocabulary
        metadata.json          labels, cleaning settings, metrics, row counts, data time range

A version directory is written under a temporary name and renamed into place, and ``CURRENT`` is
replaced atomically, so a reader never sees half a version.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, Field, ValidationError

from classifier.cleaning import CleaningSettings

if TYPE_CHECKING:
    import keras

logger = logging.getLogger(__name__)

ARTIFACT_FORMAT = 1
MODEL_FILE = "model.keras"
METADATA_FILE = "metadata.json"
CURRENT_FILE = "CURRENT"
_VERSION_PATTERN = re.compile(r"^\d{8}T\d{6}Z(-\d+)?$")


class ArtifactError(Exception):
    """A model artifact could not be found, read or written."""


class ArtifactNotFoundError(ArtifactError):
    """The model directory contains no usable version."""


class ArtifactCorruptError(ArtifactError):
    """A version directory exists but its files cannot be loaded."""


class TimeRange(BaseModel):
    """Oldest and newest ticket time in a data set."""

    start: datetime
    end: datetime


class ArtifactMetadata(BaseModel):
    """Everything about a trained model that is not its weights."""

    format_version: int = ARTIFACT_FORMAT
    version: str
    created_at: datetime
    labels: list[str] = Field(description="Category names in the order of the model's outputs.")
    cleaning: CleaningSettings
    architecture: str
    hyperparameters: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, float] = Field(
        default_factory=dict, description="Scores on the held-out test split."
    )
    rows: dict[str, int] = Field(
        default_factory=dict, description="Row counts: read, dropped, train, validation, test."
    )
    data_time_range: TimeRange | None = None
    source: dict[str, str] = Field(
        default_factory=dict, description="Where the training data came from (no secrets)."
    )
    calibration: dict[str, float] = Field(
        default_factory=dict,
        description="Softmax temperature fitted on the validation split and the test expected "
        "calibration error before and after it.",
    )
    baseline_metrics: dict[str, float] = Field(
        default_factory=dict,
        description="Test scores of the TF-IDF + LinearSVC baseline on the same split.",
    )
    promotion: dict[str, Any] = Field(
        default_factory=dict,
        description="Whether this version replaced the one in service, and the scores compared.",
    )


@dataclass(frozen=True)
class Prediction:
    """Model output for one text: the best category and the top-ranked alternatives."""

    category: str
    confidence: float
    alternatives: list[tuple[str, float]]


def new_version(now: datetime | None = None) -> str:
    """Return a version name that sorts by creation time, e.g. ``20261204T201500Z``."""
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")


class ModelArtifact:
    """A loaded model version, ready to score cleaned texts."""

    def __init__(self, path: Path, metadata: ArtifactMetadata, model: keras.Model) -> None:
        self.path = path
        self.metadata = metadata
        self.model = model
        self._labels = np.array(metadata.labels, dtype=object)

    @property
    def version(self) -> str:
        return self.metadata.version

    @classmethod
    def load(cls, model_dir: Path) -> ModelArtifact:
        """Load the version in service under ``model_dir`` (or ``model_dir`` itself if it is one).

        Raises ArtifactNotFoundError when there is nothing to load and ArtifactCorruptError when
        the files exist but cannot be read; both messages name the path.
        """
        version_dir = resolve_version_dir(model_dir)
        metadata = read_metadata(version_dir)
        model_path = version_dir / MODEL_FILE
        if not model_path.is_file():
            raise ArtifactCorruptError(f"model file {model_path} is missing")

        import keras

        try:
            model = keras.models.load_model(model_path, compile=False)
        except Exception as exc:  # Keras raises many types for a damaged archive.
            raise ArtifactCorruptError(f"cannot load Keras model {model_path}: {exc}") from exc

        outputs = int(model.output_shape[-1])
        if outputs != len(metadata.labels):
            raise ArtifactCorruptError(
                f"model {model_path} has {outputs} outputs but metadata lists "
                f"{len(metadata.labels)} labels"
            )
        logger.info("artifact loaded version=%s path=%s", metadata.version, version_dir)
        return cls(version_dir, metadata, model)

    def predict_proba(self, cleaned_texts: Sequence[str]) -> np.ndarray:
        """Score a batch of cleaned texts in one model call; returns shape (n, labels)."""
        if not cleaned_texts:
            return np.zeros((0, len(self.metadata.labels)), dtype=np.float32)

        import tensorflow as tf

        inputs = tf.constant(np.array(cleaned_texts, dtype=object).reshape(-1, 1))
        return np.asarray(self.model.predict_on_batch(inputs))

    def rank(self, probabilities: np.ndarray, top_k: int = 3) -> list[Prediction]:
        """Turn rows of class probabilities into predictions with the top_k categories."""
        k = min(top_k, probabilities.shape[1])
        order = np.argsort(-probabilities, axis=1)[:, :k]
        predictions = []
        for row, indices in zip(probabilities, order, strict=True):
            ranked = [(str(self._labels[i]), float(row[i])) for i in indices]
            predictions.append(Prediction(ranked[0][0], ranked[0][1], ranked))
        return predictions


def resolve_version_dir(model_dir: Path) -> Path:
    """Find the version directory to serve: ``model_dir`` itself, ``CURRENT``, or the newest."""
    if not model_dir.is_dir():
        raise ArtifactNotFoundError(f"model directory {model_dir} does not exist")
    if (model_dir / METADATA_FILE).is_file():
        return model_dir

    current = model_dir / CURRENT_FILE
    if current.is_file():
        name = current.read_text(encoding="utf-8").strip()
        candidate = model_dir / name
        if not name or not candidate.is_dir():
            raise ArtifactCorruptError(
                f"{current} names version {name!r}, but {candidate} is not a directory"
            )
        return candidate

    versions = list_versions(model_dir)
    if not versions:
        raise ArtifactNotFoundError(
            f"no model version found in {model_dir}; train one with "
            f"`python -m trainer --model-dir {model_dir}`"
        )
    return model_dir / versions[-1]


def list_versions(model_dir: Path) -> list[str]:
    """Return the version names under ``model_dir``, oldest first."""
    return sorted(
        entry.name
        for entry in model_dir.iterdir()
        if entry.is_dir() and _VERSION_PATTERN.match(entry.name)
    )


def read_current_version(model_dir: Path) -> str | None:
    """Return the name in ``CURRENT``, or None when no version has been promoted."""
    current = model_dir / CURRENT_FILE
    if not current.is_file():
        return None
    return current.read_text(encoding="utf-8").strip() or None


def read_metadata(version_dir: Path) -> ArtifactMetadata:
    """Read and validate ``metadata.json`` of one version."""
    path = version_dir / METADATA_FILE
    if not path.is_file():
        raise ArtifactCorruptError(f"metadata file {path} is missing")
    try:
        metadata = ArtifactMetadata.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        raise ArtifactCorruptError(f"metadata file {path} is invalid: {exc}") from exc
    if metadata.format_version != ARTIFACT_FORMAT:
        raise ArtifactCorruptError(
            f"metadata file {path} has format_version {metadata.format_version}; "
            f"this release reads format {ARTIFACT_FORMAT}"
        )
    return metadata


def write_artifact(
    model_dir: Path, model: keras.Model, metadata: ArtifactMetadata, *, promote: bool = True
) -> Path:
    """Write a new version under ``model_dir`` and, if ``promote``, point ``CURRENT`` at it.

    Returns the version directory. The version name in ``metadata`` gets a numeric suffix when a
    directory of that name already exists.
    """
    model_dir.mkdir(parents=True, exist_ok=True)
    name = metadata.version
    suffix = 1
    while (model_dir / name).exists():
        name = f"{metadata.version}-{suffix}"
        suffix += 1
    metadata = metadata.model_copy(update={"version": name})

    staging = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=model_dir))
    try:
        model.save(staging / MODEL_FILE)
        (staging / METADATA_FILE).write_text(metadata.model_dump_json(indent=2), encoding="utf-8")
        staging.rename(model_dir / name)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise

    if promote:
        promote_version(model_dir, name)
    return model_dir / name


def promote_version(model_dir: Path, name: str) -> None:
    """Point ``CURRENT`` at version ``name``, atomically."""
    if not (model_dir / name / METADATA_FILE).is_file():
        raise ArtifactNotFoundError(
            f"cannot promote {name!r}: {model_dir / name} has no {METADATA_FILE}"
        )
    fd, tmp = tempfile.mkstemp(prefix=".CURRENT.", dir=model_dir)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(name + "\n")
    os.replace(tmp, model_dir / CURRENT_FILE)
    logger.info("artifact promoted version=%s model_dir=%s", name, model_dir)
