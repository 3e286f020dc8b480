"""The Keras 3 network: raw cleaned strings in, one probability per category out.

The TextVectorization layer sits inside the model, so the vocabulary is saved with the weights
and the consumer feeds the same cleaned strings the trainer did.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from trainer.settings import TrainerSettings

ARCHITECTURE = "lstm"


def build_lstm(
    train_texts: Sequence[str], num_classes: int, settings: TrainerSettings
) -> keras.Model:
    """Build and compile the embedding + LSTM + softmax model with its vocabulary adapted."""
    vectorizer = keras.layers.TextVectorization(
        max_tokens=settings.max_tokens,
        output_sequence_length=settings.sequence_length,
        standardize=None,  # the shared TextCleaner has already normalised the text
        split="whitespace",
        name="vectorizer",
    )
    vectorizer.adapt(np.asarray(train_texts, dtype=object))

    inputs = keras.Input(shape=(1,), dtype="string", name="clean_text")
    tokens = vectorizer(inputs)
    embedded = keras.layers.Embedding(
        vectorizer.vocabulary_size(), settings.embedding_dim, mask_zero=True, name="embedding"
    )(tokens)
    encoded = keras.layers.LSTM(settings.lstm_units, name="lstm")(embedded)
    encoded = keras.layers.Dropout(settings.dropout, name="dropout")(encoded)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="category")(encoded)

    model = keras.Model(inputs, outputs, name="ticket_classifier")
    model.compile(
        optimizer=keras.optimizers.Adam(settings.learning_rate),
        loss="sparse_categorical_crossentropy",
        # Named explicitly: plain "accuracy" would resolve by the loss, and with sigmoid outputs
        # it silently becomes per-output binary accuracy.
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="top1_accuracy")],
    )
    return model
