from classifier.cleaning import CleaningSettings, TextCleaner
from trainer.cleaning_pool import PARALLEL_MIN_ROWS, CleaningPool, resolve_workers

TEXTS = ["Нет горячей воды!", "Лифт не работает\r\nуже неделю", "12345", "Снег на дорогах"] * 600


def test_pool_workers_match_single_process():
    settings = CleaningSettings(min_word_length=2)
    with CleaningPool(settings, workers=2) as pool:
        cleaned = pool.clean_many(TEXTS)
    assert cleaned == TextCleaner(settings).clean_many(TEXTS)


def test_resolve_workers_cleans_small_history_in_process():
    assert resolve_workers(0, 1_000) == 1
    assert resolve_workers(3, 10) == 3
    assert resolve_workers(0, PARALLEL_MIN_ROWS) >= 1
