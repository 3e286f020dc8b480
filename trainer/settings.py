"""Trainer settings: flags of ``python -m trainer`` and ``TRAINER_*`` environment variables."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from classifier.cli import russian_help


class TrainerSettings(BaseSettings):
    """Source of the history, how to read it, and the training parameters."""

    model_config = SettingsConfigDict(env_prefix="TRAINER_", frozen=True)

    db_url: SecretStr = Field(
        default=SecretStr("sqlite:///tickets.sqlite"),
        description="SQLAlchemy URL of the ticket history: sqlite:///FILE, "
        "postgresql+psycopg://USER:PASSWORD@HOST/DB or mssql+pymssql://USER:PASSWORD@HOST/DB.",
        json_schema_extra=russian_help(
            "SQLAlchemy URL истории заявок: sqlite:///ФАЙЛ, postgresql+psycopg://... "
            "или mssql+pymssql://ПОЛЬЗОВАТЕЛЬ:ПАРОЛЬ@ХОСТ/БАЗА."
        ),
    )
    table: str | None = Field(
        default=None,
        description="Table (or schema.table) with the history; give this or --query.",
        json_schema_extra=russian_help("Таблица (или схема.таблица) с историей; либо --query."),
    )
    query: str | None = Field(
        default=None,
        description="SQL query returning the text, label and optional time columns.",
        json_schema_extra=russian_help("SQL-запрос, возвращающий столбцы текста, метки и времени."),
    )
    text_column: str = Field(
        default="text",
        description="Column with the ticket text.",
        json_schema_extra=russian_help("Столбец с текстом заявки."),
    )
    label_column: str = Field(
        default="category",
        description="Column with the category to learn.",
        json_schema_extra=russian_help("Столбец с категорией, которой учим модель."),
    )
    time_column: str | None = Field(
        default=None,
        description="Column with the ticket time; when given, the newest tickets form the test "
        "split.",
        json_schema_extra=russian_help(
            "Столбец со временем заявки; тогда тестом служат самые новые."
        ),
    )
    model_dir: Path = Field(
        default=Path("models"),
        description="Directory of model versions; the new version is written here.",
        json_schema_extra=russian_help("Каталог версий модели; новая версия пишется сюда."),
    )
    max_rows: int | None = Field(
        default=None,
        ge=1,
        description="Read at most this many rows (the newest when a time column is given).",
        json_schema_extra=russian_help(
            "Читать не больше стольких строк (самые новые, если задано время)."
        ),
    )
    chunk_size: int = Field(
        default=20_000,
        ge=100,
        description="Rows fetched from the database per round trip.",
        json_schema_extra=russian_help("Строк за одно обращение к базе."),
    )
    key_column: str | None = Field(
        default=None,
        description="Unique, sortable column (e.g. the ticket id) to read the history page by "
        "page with WHERE key > last; use it for MS SQL, whose driver has no server-side cursor.",
        json_schema_extra=russian_help(
            "Уникальный сортируемый столбец (например, id заявки) для чтения страницами "
            "(WHERE ключ > последний); нужен для MS SQL, где у драйвера нет серверного курсора."
        ),
    )
    months: int | None = Field(
        default=None,
        ge=1,
        description="Train only on the last N months before the newest ticket; needs "
        "--time-column.",
        json_schema_extra=russian_help(
            "Обучать только на последних N месяцах до самой новой заявки; нужен --time-column."
        ),
    )
    since: date | None = Field(
        default=None,
        description="Train only on tickets from this date (YYYY-MM-DD) on; needs --time-column.",
        json_schema_extra=russian_help(
            "Обучать только на заявках начиная с этой даты (ГГГГ-ММ-ДД); нужен --time-column."
        ),
    )
    clean_workers: int = Field(
        default=0,
        ge=0,
        description="Worker processes that clean texts; 0 picks one per CPU core (at most 8) "
        "for histories of 50000 rows or more and cleans in-process below that.",
        json_schema_extra=russian_help(
            "Процессов для очистки текстов; 0 — по одному на ядро (не больше 8) для истории от "
            "50000 строк, для меньшей — очистка в основном процессе."
        ),
    )
    min_class_examples: int = Field(
        default=5,
        ge=1,
        description="Categories with fewer examples than this are rare and handled by "
        "--rare-classes.",
        json_schema_extra=russian_help(
            "Категории с меньшим числом примеров считаются редкими (см. --rare-classes)."
        ),
    )
    rare_classes: Literal["merge", "drop"] = Field(
        default="merge",
        description="What to do with rare categories: merge them into --fallback-label or drop "
        "their rows.",
        json_schema_extra=russian_help(
            "Что делать с редкими категориями: merge — слить в --fallback-label, drop — "
            "отбросить их строки."
        ),
    )
    fallback_label: str = Field(
        default="Прочее",
        min_length=1,
        description="Category that rare categories are merged into.",
        json_schema_extra=russian_help("Категория, в которую сливаются редкие."),
    )
    test_fraction: float = Field(
        default=0.2,
        gt=0,
        lt=0.5,
        description="Share of rows held out for the test split.",
        json_schema_extra=russian_help("Доля строк для тестовой выборки."),
    )
    validation_fraction: float = Field(
        default=0.1,
        gt=0,
        lt=0.5,
        description="Share of rows used for early stopping.",
        json_schema_extra=russian_help("Доля строк для валидации (ранняя остановка)."),
    )
    min_word_length: int = Field(
        default=2,
        ge=1,
        description="Lemmas shorter than this are dropped during cleaning.",
        json_schema_extra=russian_help("Леммы короче этого числа символов отбрасываются."),
    )
    max_tokens: int = Field(
        default=30_000,
        ge=100,
        description="Vocabulary size of the TextVectorization layer.",
        json_schema_extra=russian_help("Размер словаря слоя TextVectorization."),
    )
    sequence_length: int = Field(
        default=50,
        ge=4,
        description="Tokens per ticket fed to the LSTM; longer tickets are cut.",
        json_schema_extra=russian_help("Токенов на заявку на входе LSTM; длинные обрезаются."),
    )
    architecture: Literal["lstm", "mlp"] = Field(
        default="lstm",
        description="Network: lstm (bidirectional LSTM over word embeddings) or mlp "
        "(bag-of-words multilayer perceptron, for comparison).",
        json_schema_extra=russian_help(
            "Сеть: lstm (двунаправленная LSTM над эмбеддингами слов) или mlp (перцептрон "
            "над мешком слов, для сравнения)."
        ),
    )
    embedding_dim: int = Field(
        default=128,
        ge=4,
        description="Width of the word embedding.",
        json_schema_extra=russian_help("Размерность эмбеддинга слов."),
    )
    lstm_units: int = Field(
        default=64,
        ge=4,
        description="Units of the LSTM layer in each direction.",
        json_schema_extra=russian_help("Число нейронов слоя LSTM в каждом направлении."),
    )
    mlp_units: int = Field(
        default=512,
        ge=4,
        description="Units of the hidden layer of the mlp architecture.",
        json_schema_extra=russian_help("Число нейронов скрытого слоя архитектуры mlp."),
    )
    dropout: float = Field(
        default=0.3,
        ge=0,
        lt=1,
        description="Dropout before the softmax layer.",
        json_schema_extra=russian_help("Dropout перед слоем softmax."),
    )
    epochs: int = Field(
        default=15,
        ge=1,
        description="Maximum training epochs; early stopping may end sooner.",
        json_schema_extra=russian_help("Максимум эпох; ранняя остановка может закончить раньше."),
    )
    batch_size: int = Field(
        default=128,
        ge=1,
        description="Tickets per training step.",
        json_schema_extra=russian_help("Заявок на шаг обучения."),
    )
    learning_rate: float = Field(
        default=3e-3,
        gt=0,
        description="Adam learning rate.",
        json_schema_extra=russian_help("Скорость обучения Adam."),
    )
    patience: int = Field(
        default=4,
        ge=0,
        description="Epochs without improvement of the --early-stopping score before stopping.",
        json_schema_extra=russian_help("Эпох без улучшения оценки --early-stopping до остановки."),
    )
    class_weights: Literal["none", "sqrt", "balanced"] = Field(
        default="sqrt",
        description="Loss weight per category: none, sqrt (inverse square root of its share) "
        "or balanced (inverse share); raises recall of rare categories.",
        json_schema_extra=russian_help(
            "Вес категории в функции потерь: none, sqrt (обратный корень доли) или balanced "
            "(обратная доля); повышает полноту по редким категориям."
        ),
    )
    early_stopping: Literal["loss", "macro_f1"] = Field(
        default="macro_f1",
        description="Validation score that early stopping watches and that sets the epochs of "
        "--refit: loss (cross-entropy) or macro_f1.",
        json_schema_extra=russian_help(
            "Оценка на валидации, по которой работает ранняя остановка и выбирается число эпох "
            "для --refit: loss (перекрёстная энтропия) или macro_f1."
        ),
    )
    refit: bool = Field(
        default=True,
        description="After early stopping, train a fresh network on the training and "
        "validation rows together for the epochs early stopping kept, and save that one; the "
        "temperature fitted on the validation rows is kept.",
        json_schema_extra=russian_help(
            "После ранней остановки обучить новую сеть на обучающих и валидационных строках "
            "вместе столько эпох, сколько оставила остановка, и сохранить её; температура, "
            "подобранная на валидации, сохраняется."
        ),
    )
    ensemble: bool = Field(
        default=True,
        description="With --refit, save the early-stopped network and the refit network as one "
        "model that averages their logits: more accurate, at twice the inference cost.",
        json_schema_extra=russian_help(
            "При --refit сохранить сеть после ранней остановки и переобученную сеть как одну "
            "модель, усредняющую их логиты: точнее, но классификация вдвое дороже."
        ),
    )
    calibrate: bool = Field(
        default=True,
        description="Fit a softmax temperature on the validation split so that confidence "
        "matches accuracy.",
        json_schema_extra=russian_help(
            "Подобрать температуру softmax на валидации, чтобы уверенность совпадала с точностью."
        ),
    )
    baseline: bool = Field(
        default=True,
        description="Also score TF-IDF word 1-2-grams with LinearSVC on the same split, for the "
        "report.",
        json_schema_extra=russian_help(
            "Оценить на той же выборке и базовую модель TF-IDF (1-2-граммы слов) + LinearSVC."
        ),
    )
    promotion_tolerance: float = Field(
        default=0.01,
        ge=0,
        lt=1,
        description="The new model replaces the one in service unless its test macro-F1 is "
        "lower by more than this.",
        json_schema_extra=russian_help(
            "Новая модель заменяет текущую, если её macro-F1 на тесте ниже не больше чем на "
            "эту величину."
        ),
    )
    force: bool = Field(
        default=False,
        description="Put the new model in service even when it scores worse than the current one.",
        json_schema_extra=russian_help("Ввести новую модель в работу, даже если она хуже текущей."),
    )
    seed: int = Field(
        default=42,
        description="Seed for the split and the weights; fixes a run's result.",
        json_schema_extra=russian_help(
            "Зерно для разбиения и весов; делает запуск воспроизводимым."
        ),
    )

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.table is None) == (self.query is None):
            raise ValueError("give exactly one of --table or --query")
        if (self.months or self.since) and not self.time_column:
            raise ValueError("--months and --since need --time-column")
        if self.months and self.since:
            raise ValueError("give at most one of --months or --since")
        if self.test_fraction + self.validation_fraction >= 0.8:
            raise ValueError("test_fraction + validation_fraction must stay below 0.8")
        return self
