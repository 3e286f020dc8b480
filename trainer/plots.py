"""PNG plots of the training report, drawn with matplotlib's file-only Agg backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on a training server; must precede pyplot
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from classifier.i18n import tr

LABEL_CHARS = 40


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _save(figure: Figure, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def plot_learning_curves(history: dict[str, list[float]], path: Path) -> Path:
    """Draw loss and top-1 accuracy per epoch for training and validation."""
    figure, (loss_axis, accuracy_axis) = plt.subplots(1, 2, figsize=(10, 4))
    epochs = np.arange(1, len(history.get("loss", [])) + 1)
    for axis, key, title in (
        (loss_axis, "loss", tr("loss", "функция потерь")),
        (accuracy_axis, "top1_accuracy", tr("top-1 accuracy", "точность top-1")),
    ):
        axis.plot(epochs, history.get(key, []), marker="o", label=tr("training", "обучение"))
        axis.plot(
            epochs, history.get(f"val_{key}", []), marker="o", label=tr("validation", "валидация")
        )
        axis.set_title(title)
        axis.set_xlabel(tr("epoch", "эпоха"))
        axis.legend()
        axis.grid(alpha=0.3)
    return _save(figure, path)


def plot_reliability(bins: list[dict[str, Any]], ece: float, path: Path) -> Path:
    """Draw accuracy against mean confidence per confidence bin, and the rows in each bin."""
    figure, (axis, counts_axis) = plt.subplots(
        2, 1, figsize=(6, 7), gridspec_kw={"height_ratios": [3, 1]}, sharex=True
    )
    centres = [(row["lower"] + row["upper"]) / 2 for row in bins]
    widths = [row["upper"] - row["lower"] for row in bins]
    axis.bar(
        centres,
        [row["accuracy"] for row in bins],
        width=widths,
        edgecolor="black",
        alpha=0.7,
        label=tr("accuracy in the bin", "точность в интервале"),
    )
    axis.plot(
        [row["confidence"] for row in bins],
        [row["accuracy"] for row in bins],
        "o",
        color="darkred",
        label=tr("mean confidence", "средняя уверенность"),
    )
    axis.plot([0, 1], [0, 1], "--", color="gray", label=tr("perfect calibration", "идеал"))
    axis.set_ylabel(tr("accuracy", "точность"))
    axis.set_title(
        tr(f"Reliability diagram, ECE = {ece:.3f}", f"Диаграмма надёжности, ECE = {ece:.3f}")
    )
    axis.legend(loc="upper left")
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1)

    counts_axis.bar(centres, [row["rows"] for row in bins], width=widths, edgecolor="black")
    counts_axis.set_xlabel(tr("confidence", "уверенность"))
    counts_axis.set_ylabel(tr("tickets", "заявок"))
    return _save(figure, path)


def plot_confusion(labels: list[str], matrix: list[list[float]], path: Path) -> Path:
    """Draw the row-normalised confusion matrix of the largest categories."""
    size = max(len(labels), 1)
    figure, axis = plt.subplots(figsize=(4 + size * 0.45, 3 + size * 0.4))
    image = axis.imshow(
        np.asarray(matrix) if labels else np.zeros((1, 1)), cmap="Blues", vmin=0, vmax=1
    )
    short = [_short(label) for label in labels]
    axis.set_xticks(range(len(labels)), short, rotation=90, fontsize=7)
    axis.set_yticks(range(len(labels)), short, fontsize=7)
    axis.set_xlabel(tr("predicted", "предсказано"))
    axis.set_ylabel(tr("true", "на самом деле"))
    axis.set_title(
        tr(
            f"Share of each true category ({len(labels)} largest)",
            f"Доли по истинной категории ({len(labels)} крупнейших)",
        )
    )
    figure.colorbar(image, ax=axis, fraction=0.03)
    return _save(figure, path)


def plot_confused_pairs(pairs: list[dict[str, Any]], path: Path) -> Path:
    """Draw the most frequent (true → predicted) mistakes as horizontal bars."""
    shown = pairs[:15][::-1]
    figure, axis = plt.subplots(figsize=(10, 1 + 0.4 * max(len(shown), 1)))
    names = [f"{_short(pair['true'])} → {_short(pair['predicted'])}" for pair in shown]
    axis.barh(range(len(shown)), [pair["rows"] for pair in shown], color="indianred")
    axis.set_yticks(range(len(shown)), names, fontsize=8)
    axis.set_xlabel(tr("test tickets", "заявок в тесте"))
    axis.set_title(tr("Most confused pairs (true → predicted)", "Частые ошибки (истина → ответ)"))
    return _save(figure, path)
