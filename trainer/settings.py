"""Trainer settings: flags of ``python -m trainer`` and ``TRAINER_*`` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Self

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
        default=100,
        ge=4,
        description="Tokens per ticket fed to the LSTM; longer tickets are cut.",
        json_schema_extra=russian_help("Токенов на заявку на входе LSTM; длинные обрезаются."),
    )
    embedding_dim: int = Field(
        default=128,
        ge=4,
        description="Width of the word embedding.",
        json_schema_extra=russian_help("Размерность эмбеддинга слов."),
    )
    lstm_units: int = Field(
        default=128,
        ge=4,
        description="Units of the LSTM layer.",
        json_schema_extra=russian_help("Число нейронов слоя LSTM."),
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
        default=64,
        ge=1,
        description="Tickets per training step.",
        json_schema_extra=russian_help("Заявок на шаг обучения."),
    )
    learning_rate: float = Field(
        default=2e-3,
        gt=0,
        description="Adam learning rate.",
        json_schema_extra=russian_help("Скорость обучения Adam."),
    )
    patience: int = Field(
        default=2,
        ge=0,
        description="Epochs without validation-loss improvement before stopping.",
        json_schema_extra=russian_help("Эпох без улучшения val_loss до остановки."),
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
        if self.test_fraction + self.validation_fraction >= 0.8:
            raise ValueError("test_fraction + validation_fraction must stay below 0.8")
        return self
