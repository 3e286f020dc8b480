"""The consumer must feed the model exactly what the trainer fed it for the same ticket."""

import json

import pandas as pd
import pytest

from classifier.artifact import ModelArtifact
from classifier.cleaning import TextCleaner
from consumer.batch import BatchClassifier
from tests.consumer.records import Record
from tests.support.data import load_appeals
from trainer.dataset import CLEAN, prepare
from trainer.source import LABEL, TEXT


@pytest.mark.slow
def test_consumer_and_trainer_produce_identical_model_inputs(appeals_model_dir, monkeypatch):
    appeals = load_appeals(600)
    artifact = ModelArtifact.load(appeals_model_dir)

    history = pd.DataFrame({TEXT: appeals["text"], LABEL: appeals["category"]})
    trainer_inputs = prepare(history, TextCleaner(artifact.metadata.cleaning), has_time=False)

    seen: list[str] = []
    original = artifact.predict_proba

    def recording_predict(cleaned_texts):
        seen.extend(cleaned_texts)
        return original(cleaned_texts)

    monkeypatch.setattr(artifact, "predict_proba", recording_predict)
    classifier = BatchClassifier(
        artifact,
        TextCleaner(artifact.metadata.cleaning),
        output_topic="out",
        dead_letter_topic="dlq",
        max_payload_bytes=1_000_000,
    )
    records = [
        Record(json.dumps({"ticket_id": str(i), "text": text}).encode(), i)
        for i, text in enumerate(appeals["text"])
    ]
    classifier.process(records)

    assert any("\r\n" in text for text in appeals["text"])
    assert seen == trainer_inputs.frame[CLEAN].tolist()
