"""The Keras 3 networks: raw cleaned strings in, one probability per category out.

The TextVectorization layer sits inside each model, so the vocabulary is saved with the weights
and the consumer feeds the same cleaned strings the trainer did. Both networks end in a Dense
layer named ``logits`` followed by a Softmax, so a fitted temperature can be put between them
with built-in layers only, and any saved model loads in the consumer without custom code.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from trainer.settings import TrainerSettings

LOGITS = "logits"
ARCHITECTURES = {
    "lstm": "bidirectional LSTM, max and mean pooling",
    "mlp": "bag-of-words multilayer perceptron",
}


def build_model(
    train_texts: Sequence[str], num_classes: int, settings: TrainerSettings
) -> keras.Model:
    """Build and compile the network that ``settings.architecture`` names."""
    if settings.architecture == "mlp":
        return build_mlp(train_texts, num_classes, settings)
    return build_lstm(train_texts, num_classes, settings)


def build_lstm(
    train_texts: Sequence[str], num_classes: int, settings: TrainerSettings
) -> keras.Model:
    """Build and compile embedding, bidirectional LSTM, max and mean pooling, and softmax.

    Pooling over every step, rather than reading the last state only, lets a rare category's
    key word count wherever it appears in the ticket.
    """
    vectorizer = _vectorizer(train_texts, settings, output_mode="int")
    inputs = keras.Input(shape=(1,), dtype="string", name="clean_text")
    tokens = vectorizer(inputs)
    # No mask: max pooling cannot read one, and Keras warns on every call when a mask reaches
    # it. Padding is token 0, which gets its own learned embedding.
    embedded = keras.layers.Embedding(
        vectorizer.vocabulary_size(), settings.embedding_dim, name="embedding"
    )(tokens)
    embedded = keras.layers.SpatialDropout1D(settings.dropout / 2, name="embedding_dropout")(
        embedded
    )
    sequence = keras.layers.Bidirectional(
        keras.layers.LSTM(settings.lstm_units, return_sequences=True), name="bilstm"
    )(embedded)
    peak = keras.layers.GlobalMaxPooling1D(name="max_pool")(sequence)
    mean = keras.layers.GlobalAveragePooling1D(name="mean_pool")(sequence)
    encoded = keras.layers.Concatenate(name="pooled")([peak, mean])
    return _head(inputs, encoded, num_classes, settings)


def build_mlp(
    train_texts: Sequence[str], num_classes: int, settings: TrainerSettings
) -> keras.Model:
    """Build and compile the bag-of-words perceptron: multi-hot words, one ReLU layer, softmax.

    This is the classic Keras text classifier (a binary word matrix into Dense(512) with
    dropout), kept as a second architecture to compare the LSTM against.
    """
    vectorizer = _vectorizer(train_texts, settings, output_mode="multi_hot")
    inputs = keras.Input(shape=(1,), dtype="string", name="clean_text")
    words = vectorizer(inputs)
    hidden = keras.layers.Dense(settings.mlp_units, activation="relu", name="hidden")(words)
    return _head(inputs, hidden, num_classes, settings)


def with_temperature(model: keras.Model, temperature: float) -> keras.Model:
    """Return the model with its logits divided by ``temperature`` before the softmax.

    The new model shares every layer and weight with ``model``.
    """
    logits = model.get_layer(LOGITS).output
    scaled = keras.layers.Rescaling(1.0 / temperature, name="temperature")(logits)
    outputs = keras.layers.Softmax(name="category")(scaled)
    return keras.Model(model.inputs, outputs, name=model.name)


def average_logits(members: Sequence[keras.Model]) -> keras.Model:
    """Build one model that averages the members' logits before a single softmax.

    Each member keeps its own vocabulary and weights and sits inside the new model as a
    nested model named ``member_1``, ``member_2`` and so on. The average is the layer named
    ``logits``, so :func:`with_temperature` and :func:`logits_model` work on the result.
    Serving runs every member in the same ``predict`` call.
    """
    inputs = keras.Input(shape=(1,), dtype="string", name="clean_text")
    member_logits = [
        keras.Model(member.inputs, member.get_layer(LOGITS).output, name=f"member_{number}")(inputs)
        for number, member in enumerate(members, start=1)
    ]
    logits = keras.layers.Average(name=LOGITS)(member_logits)
    outputs = keras.layers.Softmax(name="category")(logits)
    return keras.Model(inputs, outputs, name="ticket_classifier")


def logits_model(model: keras.Model) -> keras.Model:
    """Return a model that shares ``model``'s layers and outputs the logits, for calibration."""
    return keras.Model(model.inputs, model.get_layer(LOGITS).output)


def _vectorizer(
    train_texts: Sequence[str], settings: TrainerSettings, output_mode: str
) -> keras.layers.TextVectorization:
    vectorizer = keras.layers.TextVectorization(
        max_tokens=settings.max_tokens,
        output_sequence_length=settings.sequence_length if output_mode == "int" else None,
        output_mode=output_mode,
        standardize=None,  # the shared TextCleaner has already normalised the text
        split="whitespace",
        name="vectorizer",
    )
    vectorizer.adapt(np.asarray(train_texts, dtype=object))
    return vectorizer


def _head(
    inputs: keras.KerasTensor,
    encoded: keras.KerasTensor,
    num_classes: int,
    settings: TrainerSettings,
) -> keras.Model:
    encoded = keras.layers.Dropout(settings.dropout, name="dropout")(encoded)
    logits = keras.layers.Dense(num_classes, name=LOGITS)(encoded)
    outputs = keras.layers.Softmax(name="category")(logits)

    model = keras.Model(inputs, outputs, name="ticket_classifier")
    model.compile(
        optimizer=keras.optimizers.Adam(settings.learning_rate),
        loss="sparse_categorical_crossentropy",
        # Named explicitly: plain "accuracy" would resolve by the loss, and with sigmoid outputs
        # it silently becomes per-output binary accuracy.
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="top1_accuracy")],
    )
    return model
