"""``python -m demo``: the whole product on real support tickets, on this machine alone.

Steps:
1. split the bundled RUTUBE support questions into a history (80%) and new tickets (20%);
2. write the history into an SQLite database and train a model from it with the trainer;
3. start an embedded Kafka-protocol broker and ``python -m consumer`` against it;
4. publish the new tickets as events, read the categorized events back;
5. print each ticket with its predicted and true category, the accuracy and the metrics.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

from classifier.i18n import tr
from classifier.logs import configure_logging
from demo.broker import EmbeddedBroker
from demo.runner import ConsumerProcess, produce_json, read_topics
from demo.sample_data import REPO_ROOT, RUTUBE_CSV, read_csv, write_sqlite_table

logger = logging.getLogger("demo")

INPUT_TOPIC = "tickets.created"
OUTPUT_TOPIC = "tickets.categorized"
DEAD_LETTER_TOPIC = "tickets.dead-letter"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m demo",
        description=tr(
            "Train on real support tickets, stream new ones through Kafka and show the result.",
            "Обучить модель на реальных заявках, прогнать новые через Kafka и показать итог.",
        ),
    )
    parser.add_argument("--work-dir", type=Path, default=REPO_ROOT / "var" / "demo")
    parser.add_argument("--broker", choices=["mock", "tansu"], default="mock")
    parser.add_argument("--label", choices=["category", "subcategory"], default="category")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--rows", type=int, default=40, help="table rows to print")
    args = parser.parse_args(argv)
    configure_logging("WARNING")

    history, new_tickets = split_history(read_csv(RUTUBE_CSV), args.label)
    db_path = write_sqlite_table(history, args.work_dir / "tickets.sqlite", "tickets")
    model_dir = args.work_dir / "models"
    say(
        tr(
            f"1/4 history: {len(history)} tickets in {db_path}; {len(new_tickets)} held back "
            "as new tickets",
            f"1/4 история: {len(history)} заявок в {db_path}; {len(new_tickets)} отложены "
            "как новые",
        )
    )

    say(tr("2/4 training the model (python -m trainer)", "2/4 обучение модели (python -m trainer)"))
    train(db_path, model_dir, args.label, args.epochs)

    with EmbeddedBroker(args.broker) as broker:
        broker.create_topics([INPUT_TOPIC, OUTPUT_TOPIC, DEAD_LETTER_TOPIC], partitions=3)
        say(
            tr(
                f"3/4 broker ({args.broker}) at {broker.bootstrap_servers}; starting the consumer",
                f"3/4 брокер ({args.broker}) на {broker.bootstrap_servers}; запуск консьюмера",
            )
        )
        consumer = ConsumerProcess(
            bootstrap_servers=broker.bootstrap_servers,
            model_dir=model_dir,
            input_topic=INPUT_TOPIC,
            output_topic=OUTPUT_TOPIC,
            dead_letter_topic=DEAD_LETTER_TOPIC,
            group_id="ticket-classifier-demo",
            log_path=args.work_dir / "consumer.log",
        )
        with consumer:
            consumer.wait_ready()
            say(tr("4/4 publishing new tickets", "4/4 публикация новых заявок"))
            started = time.monotonic()
            produce_json(broker.bootstrap_servers, INPUT_TOPIC, events(new_tickets))
            records = read_topics(
                broker.bootstrap_servers,
                [OUTPUT_TOPIC, DEAD_LETTER_TOPIC],
                expected=len(new_tickets),
            )
            elapsed = time.monotonic() - started
            metrics = consumer.metrics()

    results = join_results(new_tickets, records, args.label)
    print_table(results, args.rows)
    print_summary(results, metrics, elapsed)
    unanswered = [o for o in results if o.predicted is None and o.dead_letter is None]
    return 1 if unanswered else 0


def split_history(frame: pd.DataFrame, label: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hold out 20% of the tickets, stratified by label, as the "new" ones."""
    frame = frame.dropna(subset=["text", label])
    counts = frame[label].str.strip().value_counts()
    stratify = frame[label].str.strip().where(frame[label].str.strip().map(counts) >= 2, "__rare__")
    history, new = train_test_split(frame, test_size=0.2, random_state=7, stratify=stratify)
    return history.sort_values("id"), new.sort_values("id")


def train(db_path: Path, model_dir: Path, label: str, epochs: int) -> None:
    from trainer.__main__ import main as trainer_main

    code = trainer_main(
        [
            "--db-url", f"sqlite:///{db_path}",
            "--table", "tickets",
            "--label-column", label,
            "--model-dir", str(model_dir),
            "--epochs", str(epochs),
            "--patience", "5",
        ]
    )  # fmt: skip
    if code:
        raise SystemExit(code)


def events(frame: pd.DataFrame) -> list[tuple[bytes, dict[str, object]]]:
    return [
        (
            f"RT-{row.id}".encode(),
            {"ticket_id": f"RT-{row.id}", "text": row.text, "office": "support"},
        )
        for row in frame.itertuples()
    ]


@dataclass(frozen=True)
class Outcome:
    """Result for one new ticket: its category or its dead-letter reason."""

    text: str
    true_label: str
    predicted: str | None = None
    confidence: float | None = None
    needs_review: bool = False
    dead_letter: str | None = None


def join_results(
    new_tickets: pd.DataFrame, records: list[tuple[str, bytes | None, bytes | None]], label: str
) -> list[Outcome]:
    """Pair each new ticket with its result, in the order the tickets were published."""
    answers: dict[str, dict[str, object]] = {}
    for topic, _key, value in records:
        event = json.loads(value or b"{}")
        if topic == OUTPUT_TOPIC:
            answers[event["ticket_id"]] = {
                "predicted": event["category"],
                "confidence": event["confidence"],
                "needs_review": event["needs_review"],
            }
        else:
            answers[str(event.get("ticket_id"))] = {"dead_letter": event["error_kind"]}
    return [
        Outcome(
            text=str(text),
            true_label=str(true_label).strip(),
            **answers.get(f"RT-{ticket_id}", {}),  # type: ignore[arg-type]
        )
        for ticket_id, text, true_label in zip(
            new_tickets["id"], new_tickets["text"], new_tickets[label], strict=True
        )
    ]


def print_table(results: list[Outcome], limit: int) -> None:
    headers = (tr("ticket text", "текст заявки"), tr("predicted", "предсказано"),
               tr("conf.", "увер."), tr("true category", "верная категория"))  # fmt: skip
    print()
    print(f"{headers[0]:<52} {headers[1]:<26} {headers[2]:>6}  {headers[3]}")
    print("-" * 110)
    for outcome in results[:limit]:
        text = " ".join(outcome.text.split())
        text = (text[:49] + "...") if len(text) > 52 else text
        if outcome.predicted is None:
            predicted, confidence = f"[dead-letter: {outcome.dead_letter}]", ""
        else:
            predicted, confidence = outcome.predicted, f"{outcome.confidence or 0:.2f}"
            if outcome.needs_review:
                confidence = "?" + confidence
        mark = "" if outcome.predicted == outcome.true_label else " ✗"
        print(f"{text:<52} {predicted[:26]:<26} {confidence:>6}  {outcome.true_label[:26]}{mark}")
    if len(results) > limit:
        print(tr(f"... {len(results) - limit} more", f"... и ещё {len(results) - limit}"))


def print_summary(results: list[Outcome], metrics: dict[str, float], elapsed: float) -> None:
    correct = sum(1 for o in results if o.predicted == o.true_label)
    dead = sum(1 for o in results if o.dead_letter)
    missing = sum(1 for o in results if o.predicted is None and o.dead_letter is None)
    accuracy = correct / len(results) if results else 0.0
    print()
    print(
        tr(
            f"Accuracy on {len(results)} new tickets: {accuracy:.3f} ({correct} correct); "
            f"dead-lettered: {dead}; without an answer: {missing}",
            f"Точность на {len(results)} новых заявках: {accuracy:.3f} ({correct} верно); "
            f"в dead-letter: {dead}; без ответа: {missing}",
        )
    )
    review = [o for o in results if o.needs_review]
    review_correct = sum(1 for o in review if o.predicted == o.true_label)
    print(
        tr(
            f"Marked for human review (confidence below the threshold, '?' above): {len(review)}, "
            f"of which {review_correct} were right; accuracy on the rest: "
            f"{_share(correct - review_correct, len(results) - len(review) - dead)}",
            f"Отправлено людям (уверенность ниже порога, '?' выше): {len(review)}, из них "
            f"{review_correct} верно; точность на остальных: "
            f"{_share(correct - review_correct, len(results) - len(review) - dead)}",
        )
    )
    print(tr(f"Stream time: {elapsed:.1f} s", f"Время потока: {elapsed:.1f} с"))
    print(tr("Consumer metrics (/metrics):", "Метрики консьюмера (/metrics):"))
    for name, value in sorted(metrics.items()):
        if name.startswith("ticket_classifier_") and "_bucket" not in name:
            print(f"  {name} {value:g}")


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.3f}" if whole else "-"


def say(message: str) -> None:
    print(message, flush=True)


if __name__ == "__main__":
    sys.exit(main())
