"""The READMEs document every setting the commands accept."""

from pathlib import Path

import pytest

from classifier.cli import build_parser
from consumer.settings import ConsumerSettings
from trainer.settings import TrainerSettings

REPO_ROOT = Path(__file__).resolve().parent.parent
READMES = ["README.md", "README.ru.md"]


def documented_options() -> list[tuple[str, str]]:
    options = []
    for settings_class in (ConsumerSettings, TrainerSettings):
        parser = build_parser(settings_class, "prog", "")
        prefix = str(settings_class.model_config["env_prefix"])
        for action in parser._actions:
            if action.dest == "help":
                continue
            options.append((action.option_strings[0], (prefix + action.dest).upper()))
    return options


@pytest.mark.parametrize("readme", READMES)
def test_readme_lists_every_flag_and_variable(readme):
    text = (REPO_ROOT / readme).read_text(encoding="utf-8")
    missing = [
        f"{flag} / {env}"
        for flag, env in documented_options()
        if f"`{flag}`" not in text or f"`{env}`" not in text
    ]
    assert not missing, f"{readme} does not document: {missing}"
