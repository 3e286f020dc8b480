"""The training report a team lead reads: ``report.json`` with every number, ``report.html``
with the same numbers as tables and PNG plots, written into the model's version directory.

The HTML is in Russian when the locale is Russian; the JSON keys are English.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from classifier.i18n import tr
from trainer import plots

logger = logging.getLogger(__name__)

REPORT_JSON = "report.json"
REPORT_HTML = "report.html"
PLOTS = {
    "learning_curves": "learning_curves.png",
    "reliability": "reliability.png",
    "confusion": "confusion.png",
    "confused_pairs": "confused_pairs.png",
}


def write_report(report: dict[str, Any], directory: Path) -> Path:
    """Write ``report.json``, the PNG plots and ``report.html`` into ``directory``.

    ``report`` is the dictionary :func:`trainer.pipeline.run_training` assembles. Returns the
    path of the HTML file.
    """
    directory.mkdir(parents=True, exist_ok=True)
    (directory / REPORT_JSON).write_text(
        json.dumps(report, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
    )

    evaluation = report["evaluation"]
    calibration = report["calibration"]
    plots.plot_learning_curves(report["learning_curves"], directory / PLOTS["learning_curves"])
    plots.plot_reliability(
        calibration["reliability"], calibration["ece"], directory / PLOTS["reliability"]
    )
    plots.plot_confusion(
        evaluation["confusion_labels"],
        evaluation["confusion_matrix"],
        directory / PLOTS["confusion"],
    )
    plots.plot_confused_pairs(evaluation["confused_pairs"], directory / PLOTS["confused_pairs"])

    path = directory / REPORT_HTML
    path.write_text(render_html(report), encoding="utf-8")
    logger.info("report written path=%s", path)
    return path


def render_html(report: dict[str, Any]) -> str:
    """Return the report as one self-contained HTML page that links the PNG plots."""
    run = report["run"]
    title = tr(
        f"Training report, model {run['version']}", f"Отчёт об обучении, модель {run['version']}"
    )
    sections = [
        f"<h1>{_e(title)}</h1>",
        _summary_section(report),
        _promotion_section(report["promotion"]),
        _calibration_section(report["calibration"]),
        _classes_section(report["evaluation"]),
        _curves_section(),
        _data_section(report["data"]),
    ]
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>\n"
        + "\n".join(sections)
        + "\n</body></html>\n"
    )


_CSS = (
    "body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
    "table{border-collapse:collapse;margin:0.5em 0 1.5em}"
    "td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:0.9em}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "img{max-width:100%;border:1px solid #eee}.bad{color:#b00}.good{color:#070}"
)

_METRIC_NAMES = {
    "top1_accuracy": ("top-1 accuracy", "точность top-1"),
    "top3_accuracy": ("top-3 accuracy", "точность top-3"),
    "macro_f1": ("macro-F1", "macro-F1"),
    "weighted_f1": ("weighted F1", "взвешенная F1"),
    "ece": ("expected calibration error", "ожидаемая ошибка калибровки (ECE)"),
}


def _e(value: object) -> str:
    return html.escape(str(value))


def _number(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return _e(value)


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    head = "".join(f"<th>{_e(header)}</th>" for header in headers)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="n">{_number(cell)}</td>'
            if isinstance(cell, int | float) and not isinstance(cell, bool)
            else f"<td>{_e(cell)}</td>"
            for cell in row
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _summary_section(report: dict[str, Any]) -> str:
    run = report["run"]
    model_metrics = report["metrics"]
    baseline = report.get("baseline")
    headers = [tr("test split", "тестовая выборка"), run["architecture"]]
    if baseline:
        headers.append(baseline["name"])
    rows = []
    for key, (english, russian) in _METRIC_NAMES.items():
        if key not in model_metrics:
            continue
        row: list[object] = [tr(english, russian), model_metrics[key]]
        if baseline:
            row.append(baseline["metrics"].get(key, "—"))
        rows.append(row)
    facts = tr(
        f"Label column <b>{_e(run['label_column'])}</b>, {run['classes']} categories, "
        f"split <b>{_e(run['split'])}</b>, {run['epochs_run']} epochs, training took "
        f"{run['train_seconds']:.0f} s.",
        f"Столбец метки <b>{_e(run['label_column'])}</b>, категорий: {run['classes']}, "
        f"разбиение <b>{_e(run['split'])}</b>, эпох: {run['epochs_run']}, обучение заняло "
        f"{run['train_seconds']:.0f} с.",
    ) + _saved_model_facts(run)
    return f"<h2>{_e(tr('Scores', 'Качество'))}</h2><p>{facts}</p>" + _table(headers, rows)


def _saved_model_facts(run: dict[str, Any]) -> str:
    refit = run["hyperparameters"].get("refit_epochs", 0)
    members = run["hyperparameters"].get("ensemble_members", 1)
    if not refit:
        return ""
    if members > 1:
        return tr(
            f" A fresh network was then trained on the training and validation rows for {refit} "
            f"epochs; the saved model averages the logits of {members} networks.",
            f" Затем новая сеть обучена на обучающих и валидационных строках ({refit} эп.); "
            f"сохранённая модель усредняет логиты {members} сетей.",
        )
    return tr(
        f" The saved network was then trained afresh on the training and validation rows for "
        f"{refit} epochs.",
        f" Сохранённая сеть затем обучена заново на обучающих и валидационных строках "
        f"({refit} эп.).",
    )


def _promotion_section(promotion: dict[str, Any]) -> str:
    verdict = (
        tr("promoted to service", "введена в работу")
        if promotion["promote"]
        else tr("NOT promoted", "НЕ введена в работу")
    )
    css = "good" if promotion["promote"] else "bad"
    rows = [
        [tr("new model, macro-F1", "новая модель, macro-F1"), promotion["new_macro_f1"]],
        [
            tr(
                f"model in service ({promotion['current_version']}), macro-F1",
                f"текущая модель ({promotion['current_version']}), macro-F1",
            ),
            promotion["current_macro_f1"] if promotion["current_macro_f1"] is not None else "—",
        ],
        [tr("tolerance", "допуск"), promotion["tolerance"]],
    ]
    return (
        f"<h2>{_e(tr('Promotion', 'Ввод в работу'))}</h2>"
        f'<p class="{css}"><b>{_e(verdict)}</b>: {_e(promotion["reason"])}</p>'
        + _table([tr("model", "модель"), tr("value", "значение")], rows)
    )


def _calibration_section(calibration: dict[str, Any]) -> str:
    text = tr(
        f"Temperature {calibration['temperature']:.3f} fitted on the validation split; "
        f"ECE on the test split {calibration['ece_uncalibrated']:.4f} before, "
        f"{calibration['ece']:.4f} after. The table shows how many tickets would be decided "
        "automatically at each confidence threshold, and how accurately.",
        f"Температура {calibration['temperature']:.3f} подобрана на валидации; ECE на тесте "
        f"до калибровки {calibration['ece_uncalibrated']:.4f}, после {calibration['ece']:.4f}. "
        "Таблица показывает, какая доля заявок при каждом пороге уверенности решается "
        "автоматически и с какой точностью.",
    )
    headers = [
        tr("confidence ≥", "уверенность ≥"),
        tr("coverage", "покрытие"),
        tr("tickets", "заявок"),
        tr("accuracy", "точность"),
    ]
    rows = [
        [row["threshold"], row["coverage"], row["rows"], row["accuracy"]]
        for row in calibration["coverage"]
    ]
    return (
        f"<h2>{_e(tr('Calibration', 'Калибровка'))}</h2><p>{_e(text)}</p>"
        + _table(headers, rows)
        + f'<img src="{PLOTS["reliability"]}" alt="reliability diagram">'
    )


def _classes_section(evaluation: dict[str, Any]) -> str:
    headers = [tr("category", "категория"), "precision", "recall", "F1", tr("support", "в тесте")]
    rows = [
        [row["label"], row["precision"], row["recall"], row["f1"], row["support"]]
        for row in evaluation["per_class"]
    ]
    pair_headers = [
        tr("true", "на самом деле"),
        tr("predicted", "предсказано"),
        tr("tickets", "заявок"),
        tr("share of true", "доля истинной"),
    ]
    pairs = [
        [pair["true"], pair["predicted"], pair["rows"], pair["share_of_true"]]
        for pair in evaluation["confused_pairs"]
    ]
    return (
        f"<h2>{_e(tr('Categories, worst first', 'Категории, худшие сверху'))}</h2>"
        + _table(headers, rows)
        + f"<h2>{_e(tr('Most confused pairs', 'Частые ошибки'))}</h2>"
        + _table(pair_headers, pairs)
        + f'<img src="{PLOTS["confused_pairs"]}" alt="confused pairs">'
        + f'<img src="{PLOTS["confusion"]}" alt="confusion matrix">'
    )


def _curves_section() -> str:
    return (
        f"<h2>{_e(tr('Learning curves', 'Кривые обучения'))}</h2>"
        f'<img src="{PLOTS["learning_curves"]}" alt="learning curves">'
    )


def _data_section(data: dict[str, Any]) -> str:
    rows_table = _table(
        [tr("rows", "строки"), tr("count", "число")],
        [[key, value] for key, value in data["rows"].items()],
    )
    duplicates = _table(
        [tr("duplicates", "дубликаты"), tr("count", "число")],
        [[key, value] for key, value in data["duplicates"].items()],
    )
    rare = data["rare_classes"]
    rare_text = tr(
        f"Categories with fewer than {rare['min_examples']} examples: {len(rare['categories'])} "
        f"(policy {rare['policy']}, fallback {rare['fallback_label']!r}, "
        f"{rare['dropped_rows']} rows dropped).",
        f"Категорий меньше чем с {rare['min_examples']} примерами: {len(rare['categories'])} "
        f"(политика {rare['policy']}, общая категория {rare['fallback_label']!r}, "
        f"отброшено строк: {rare['dropped_rows']}).",
    )
    time_range = data.get("time_range")
    period = (
        tr(
            f"Tickets from {time_range['start']} to {time_range['end']}.",
            f"Заявки с {time_range['start']} по {time_range['end']}.",
        )
        if time_range
        else tr("No time column: random split.", "Нет столбца времени: случайное разбиение.")
    )
    classes = _table(
        [
            tr("category", "категория"),
            tr("train", "обучение"),
            tr("validation", "валидация"),
            tr("test", "тест"),
        ],
        [
            [row["label"], row["train"], row["validation"], row["test"]]
            for row in data["class_counts"]
        ],
    )
    return (
        f"<h2>{_e(tr('Data', 'Данные'))}</h2><p>{_e(period)}</p>"
        + rows_table
        + duplicates
        + f"<p>{_e(rare_text)}</p>"
        + classes
    )
