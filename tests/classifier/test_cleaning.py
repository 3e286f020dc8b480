from classifier.cleaning import CleaningSettings, TextCleaner


def test_clean_lowercases_and_lemmatizes():
    cleaner = TextCleaner()
    assert cleaner.clean("Лифты НЕ работают") == "лифт не работать"


def test_clean_replaces_digits_punctuation_and_symbols():
    cleaner = TextCleaner(CleaningSettings(lemmatize=False))
    assert cleaner.clean("Дом №5, кв.12: протечка!!! 🙂 (срочно)") == "дом кв протечка срочно"


def test_clean_joins_hyphenated_line_break():
    cleaner = TextCleaner(CleaningSettings(lemmatize=False))
    assert cleaner.clean("обраще-\r\nние принято") == "обращение принято"


def test_clean_removes_line_breaks():
    cleaner = TextCleaner(CleaningSettings(lemmatize=False))
    assert cleaner.clean("первая строка\r\nвторая\nтретья\rчетвёртая") == (
        "первая строка вторая третья четвёртая"
    )


def test_clean_drops_html_markup_and_entities():
    cleaner = TextCleaner(CleaningSettings(lemmatize=False))
    assert cleaner.clean("<p>Нет&nbsp;света</p> &laquo;в подъезде&raquo;") == ("нет света подъезде")


def test_clean_drops_zero_width_characters():
    cleaner = TextCleaner(CleaningSettings(lemmatize=False))
    assert cleaner.clean("видео\u200c\u200c\u200cудалили \u200b") == "видео удалили"


def test_clean_drops_short_words_by_setting():
    assert (
        TextCleaner(CleaningSettings(min_word_length=3)).clean("в доме нет воды") == "дом нет вода"
    )
    assert TextCleaner(CleaningSettings(min_word_length=1)).clean("в доме") == "в дом"


def test_clean_returns_empty_for_symbols_only():
    assert TextCleaner().clean("12345 !!! ??? 🙂") == ""


def test_clean_keeps_latin_words():
    assert TextCleaner().clean("Не работает Wi-Fi роутер") == "не работать wi fi роутер"


def test_lemma_cache_counts_repeated_words():
    cleaner = TextCleaner()
    cleaner.clean("снег на дороге")
    cleaner.clean("снег на дороге")
    hits, misses, maxsize, size = cleaner.cache_info()
    assert misses == 3
    assert hits == 3
    assert size == 3
    assert maxsize == CleaningSettings().lemma_cache_size
