import keras
import numpy as np
import pandas as pd
import pytest

from trainer.dataset import CLEAN
from trainer.fitting import fit, probabilities, texts_tensor
from trainer.model import build_model
from trainer.settings import TrainerSettings
from trainer.source import LABEL

INDEX = {"лифт": 0, "дорога": 1}
# "гололёд" occurs in the validation rows only.
TRAIN = pd.DataFrame(
    {
        CLEAN: ["лифт сломаться"] * 12 + ["снег дорога"] * 12,
        LABEL: ["лифт"] * 12 + ["дорога"] * 12,
    }
)
VALIDATION = pd.DataFrame(
    {
        CLEAN: ["лифт застрять"] * 4 + ["гололёд дорога"] * 4,
        LABEL: ["лифт"] * 4 + ["дорога"] * 4,
    }
)


def tiny_settings(**overrides: object) -> TrainerSettings:
    values: dict[str, object] = {
        "table": "t",
        "epochs": 2,
        "lstm_units": 4,
        "embedding_dim": 4,
        "sequence_length": 6,
        "max_tokens": 100,
        "batch_size": 8,
    }
    values.update(overrides)
    return TrainerSettings.model_validate(values)


def vocabulary(model: keras.Model) -> list[str]:
    return list(model.get_layer("vectorizer").get_vocabulary())


@pytest.mark.slow
def test_fit_refits_on_validation_rows():
    settings = tiny_settings(ensemble=False)
    model = build_model(TRAIN[CLEAN].tolist(), len(INDEX), settings)
    fitted = fit(model, TRAIN, VALIDATION, INDEX, settings)

    assert fitted.refit_epochs == int(np.argmax(fitted.history["val_macro_f1"])) + 1
    assert fitted.members == 1
    assert fitted.model is not model
    assert "гололёд" in vocabulary(fitted.model)
    assert fitted.model.layers[-1].name == "category"


@pytest.mark.slow
def test_fit_ensemble_averages_member_logits(tmp_path):
    settings = tiny_settings()
    model = build_model(TRAIN[CLEAN].tolist(), len(INDEX), settings)
    fitted = fit(model, TRAIN, VALIDATION, INDEX, settings)

    assert fitted.members == 2
    first = fitted.model.get_layer("member_1")
    refitted = fitted.model.get_layer("member_2")
    assert "гололёд" not in vocabulary(first)
    assert "гололёд" in vocabulary(refitted)

    texts = texts_tensor(VALIDATION)
    mean_logits = (np.asarray(first(texts)) + np.asarray(refitted(texts))) / 2
    expected = probabilities(mean_logits, fitted.temperature)
    np.testing.assert_allclose(fitted.model.predict(texts, verbose=0), expected, atol=1e-5)

    # The consumer loads the saved file without any custom code.
    path = tmp_path / "model.keras"
    fitted.model.save(path)
    loaded = keras.models.load_model(path, compile=False)
    np.testing.assert_allclose(loaded.predict(texts, verbose=0), expected, atol=1e-5)


@pytest.mark.slow
def test_fit_refit_epochs_follow_validation_loss():
    settings = tiny_settings(early_stopping="loss", epochs=3, patience=3)
    model = build_model(TRAIN[CLEAN].tolist(), len(INDEX), settings)
    fitted = fit(model, TRAIN, VALIDATION, INDEX, settings)

    assert len(fitted.history["val_macro_f1"]) == 3
    assert fitted.refit_epochs == int(np.argmin(fitted.history["val_loss"])) + 1


@pytest.mark.slow
def test_fit_without_refit_keeps_network():
    settings = tiny_settings(refit=False, calibrate=False)
    model = build_model(TRAIN[CLEAN].tolist(), len(INDEX), settings)
    fitted = fit(model, TRAIN, VALIDATION, INDEX, settings)

    assert fitted.refit_epochs == 0
    assert fitted.model is model
    assert "гололёд" not in vocabulary(fitted.model)
