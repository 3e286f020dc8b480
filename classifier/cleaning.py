"""Text cleaning for Russian helpdesk tickets, shared by the trainer and the consumer.

The steps follow the classic pipeline: join words broken by a hyphen at a line end, drop line
breaks and HTML markup, lowercase, turn everything that is not a letter into a space, lemmatize
each word with pymorphy3 and drop short words. The trainer and the consumer both call
:meth:`TextCleaner.clean`, so a model always sees the same input for the same ticket.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from functools import lru_cache

import pymorphy3
from pydantic import BaseModel, ConfigDict, Field

# "обраще-\r\nние" is one word split by a hyphen at a line end.
_HYPHEN_BREAK = re.compile(r"(?<=\w)-[ \t]*\r?\n[ \t]*(?=\w)")
_LINE_BREAK = re.compile(r"[\r\n]+")
_HTML_TAG = re.compile(r"<[^<>]{0,500}>")
# Digits, underscores, punctuation, symbols, emoji and invisible characters all become spaces.
_NON_LETTER = re.compile(r"[\W\d_]+")


class CleaningSettings(BaseModel):
    """Parameters of the cleaning; stored in every model artifact so serving repeats training."""

    model_config = ConfigDict(frozen=True)

    min_word_length: int = Field(
        default=2, ge=1, description="Lemmas shorter than this many characters are dropped."
    )
    lemmatize: bool = Field(default=True, description="Replace each word by its pymorphy3 lemma.")
    lemma_cache_size: int = Field(
        default=200_000, ge=0, description="Entries in the LRU cache of word lemmas."
    )


class TextCleaner:
    """Turns raw ticket text into the space-separated lemmas the model reads.

    Lemmatization is memoized with an LRU cache because ticket vocabulary repeats heavily and an
    uncached pymorphy3 parse costs tens of microseconds per word.
    """

    def __init__(self, settings: CleaningSettings | None = None) -> None:
        self.settings = settings or CleaningSettings()
        self._analyzer = pymorphy3.MorphAnalyzer() if self.settings.lemmatize else None
        self._lemma = lru_cache(maxsize=self.settings.lemma_cache_size)(self._parse_lemma)

    def clean(self, text: str) -> str:
        """Return the cleaned form of one text; an empty string when no word survives."""
        text = _HYPHEN_BREAK.sub("", text)
        text = _LINE_BREAK.sub(" ", text)
        text = _HTML_TAG.sub(" ", html.unescape(text))
        words = _NON_LETTER.sub(" ", text.lower()).split()

        min_length = self.settings.min_word_length
        lemmas = (self._lemma(word) for word in words)
        return " ".join(lemma for lemma in lemmas if len(lemma) >= min_length)

    def clean_many(self, texts: Iterable[str]) -> list[str]:
        """Clean each text in order."""
        return [self.clean(text) for text in texts]

    def cache_info(self) -> tuple[int, int, int | None, int]:
        """Return the lemma cache's (hits, misses, maxsize, currsize)."""
        info = self._lemma.cache_info()
        return info.hits, info.misses, info.maxsize, info.currsize

    def _parse_lemma(self, word: str) -> str:
        if self._analyzer is None:
            return word
        return str(self._analyzer.parse(word)[0].normal_form)
