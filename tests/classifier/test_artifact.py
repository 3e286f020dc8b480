from datetime import UTC, datetime
from pathlib import Path

import keras
import numpy as np
import pytest

from classifier.artifact import (
    CURRENT_FILE,
    METADATA_FILE,
    MODEL_FILE,
    ArtifactCorruptError,
    ArtifactMetadata,
    ArtifactNotFoundError,
    ModelArtifact,
    list_versions,
    read_current_version,
    write_artifact,
)
from classifier.cleaning import CleaningSettings
from trainer.model import build_lstm
from trainer.settings import TrainerSettings

LABELS = ["вода", "лифт", "снег"]
TEXTS = ["нет горячий вода", "лифт не работать", "снег на дорога", "вода течь", "лифт застрять"]


def small_model() -> keras.Model:
    settings = TrainerSettings(
        table="t", embedding_dim=8, lstm_units=8, sequence_length=8, max_tokens=100
    )
    return build_lstm(TEXTS, len(LABELS), settings)


def metadata(version: str = "20261204T000000Z") -> ArtifactMetadata:
    return ArtifactMetadata(
        version=version,
        created_at=datetime.now(UTC),
        labels=LABELS,
        cleaning=CleaningSettings(min_word_length=3),
        architecture="lstm",
        metrics={"macro_f1": 0.5},
        rows={"train": 5},
    )


def test_write_then_load_round_trips(tmp_path):
    model = small_model()
    version_dir = write_artifact(tmp_path, model, metadata())

    artifact = ModelArtifact.load(tmp_path)

    assert artifact.path == version_dir
    assert artifact.version == "20261204T000000Z"
    assert artifact.metadata.labels == LABELS
    assert artifact.metadata.cleaning.min_word_length == 3
    expected = model.predict_on_batch(np.array(TEXTS, dtype=object).reshape(-1, 1))
    np.testing.assert_allclose(artifact.predict_proba(TEXTS), expected, rtol=1e-5)


def test_write_promotes_current(tmp_path):
    write_artifact(tmp_path, small_model(), metadata("20261204T000000Z"))
    write_artifact(tmp_path, small_model(), metadata("20261205T000000Z"))
    assert read_current_version(tmp_path) == "20261205T000000Z"
    assert list_versions(tmp_path) == ["20261204T000000Z", "20261205T000000Z"]


def test_write_without_promote_keeps_current(tmp_path):
    write_artifact(tmp_path, small_model(), metadata("20261204T000000Z"))
    write_artifact(tmp_path, small_model(), metadata("20261205T000000Z"), promote=False)
    assert ModelArtifact.load(tmp_path).version == "20261204T000000Z"


def test_write_suffixes_clashing_version(tmp_path):
    write_artifact(tmp_path, small_model(), metadata())
    second = write_artifact(tmp_path, small_model(), metadata())
    assert second.name == "20261204T000000Z-1"
    assert ModelArtifact.load(tmp_path).version == "20261204T000000Z-1"


def test_rank_orders_top_three():
    artifact = ModelArtifact(Path("unused"), metadata(), model=None)
    predictions = artifact.rank(np.array([[0.2, 0.7, 0.1]]))
    assert predictions[0].category == "лифт"
    assert predictions[0].confidence == pytest.approx(0.7)
    assert [name for name, _ in predictions[0].alternatives] == ["лифт", "вода", "снег"]


def test_load_missing_dir_names_path(tmp_path):
    with pytest.raises(ArtifactNotFoundError, match="does not exist"):
        ModelArtifact.load(tmp_path / "absent")


def test_load_empty_dir_says_to_train(tmp_path):
    with pytest.raises(ArtifactNotFoundError, match="python -m trainer"):
        ModelArtifact.load(tmp_path)


def test_load_corrupt_metadata_names_file(tmp_path):
    version_dir = write_artifact(tmp_path, small_model(), metadata())
    (version_dir / METADATA_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(ArtifactCorruptError, match=METADATA_FILE):
        ModelArtifact.load(tmp_path)


def test_load_corrupt_model_names_file(tmp_path):
    version_dir = write_artifact(tmp_path, small_model(), metadata())
    (version_dir / MODEL_FILE).write_bytes(b"not a zip archive")
    with pytest.raises(ArtifactCorruptError, match="cannot load Keras model"):
        ModelArtifact.load(tmp_path)


def test_load_current_pointing_nowhere(tmp_path):
    write_artifact(tmp_path, small_model(), metadata())
    (tmp_path / CURRENT_FILE).write_text("20990101T000000Z\n", encoding="utf-8")
    with pytest.raises(ArtifactCorruptError, match="20990101T000000Z"):
        ModelArtifact.load(tmp_path)


def test_load_rejects_label_count_mismatch(tmp_path):
    version_dir = write_artifact(tmp_path, small_model(), metadata())
    broken = metadata().model_copy(update={"labels": ["a", "b"]})
    (version_dir / METADATA_FILE).write_text(broken.model_dump_json(), encoding="utf-8")
    with pytest.raises(ArtifactCorruptError, match="3 outputs but metadata lists 2"):
        ModelArtifact.load(tmp_path)
