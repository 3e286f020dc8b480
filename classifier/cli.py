"""Command-line flags generated from a pydantic-settings class.

Each field becomes ``--field-name``; a flag given on the command line overrides the environment
variable, which overrides the default. Help text comes from the field description, in Russian
when the locale is Russian and the field carries a ``description_ru``.
"""

from __future__ import annotations

import argparse
import sys
import types
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from pydantic.config import JsonDict
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from classifier.i18n import is_russian, tr

SettingsT = typing.TypeVar("SettingsT", bound=BaseSettings)


def russian_help(text: str, **extra: str) -> JsonDict:
    """Return a field's ``json_schema_extra`` with its Russian help text (and e.g. ``flag``)."""
    result: JsonDict = {"description_ru": text}
    result.update(extra)
    return result


def build_parser(
    settings_class: type[BaseSettings], prog: str, description: str
) -> argparse.ArgumentParser:
    """Return a parser with one flag per settings field; every flag defaults to "not given"."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=description,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        argument_default=argparse.SUPPRESS,
    )
    prefix = str(settings_class.model_config.get("env_prefix", ""))
    for name, field in settings_class.model_fields.items():
        flag = _flag(name, field)
        env_name = (prefix + name).upper()
        help_text = f"{_describe(field)} [env: {env_name}]"
        if _is_mapping(field):
            parser.add_argument(
                flag,
                dest=name,
                action="append",
                metavar="KEY=VALUE",
                help=help_text + tr(" (repeatable)", " (можно повторять)"),
            )
        elif _is_bool(field):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, help=help_text)
        else:
            parser.add_argument(flag, metavar=name.upper(), help=help_text)
    return parser


def parse_settings(
    settings_class: type[SettingsT],
    argv: Sequence[str] | None,
    prog: str,
    description: str,
) -> SettingsT:
    """Parse flags and the environment into a settings object; exit 2 with a clear error."""
    parser = build_parser(settings_class, prog, description)
    flag_values: dict[str, Any] = vars(parser.parse_args(argv))
    for name, value in list(flag_values.items()):
        field = settings_class.model_fields[name]
        if _is_mapping(field):
            flag_values[name] = _parse_pairs(parser, _flag(name, field), value)
    try:
        return settings_class(**flag_values)
    except ValidationError as exc:
        lines = [
            f"  {'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        ]
        parser.exit(2, tr("invalid settings:\n", "неверные настройки:\n") + "\n".join(lines) + "\n")


def _parse_pairs(parser: argparse.ArgumentParser, flag: str, pairs: list[str]) -> dict[str, str]:
    result = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            parser.error(
                tr(
                    f"{flag} expects KEY=VALUE, got {pair!r}",
                    f"{flag} ожидает KEY=VALUE, получено {pair!r}",
                )
            )
        result[key.strip()] = value.strip()
    return result


def _extra(field: FieldInfo) -> dict[str, Any]:
    return field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}


def _flag(name: str, field: FieldInfo) -> str:
    flag = _extra(field).get("flag")
    return flag if isinstance(flag, str) else "--" + name.replace("_", "-")


def _describe(field: FieldInfo) -> str:
    extra = _extra(field)
    russian = extra.get("description_ru")
    if is_russian() and isinstance(russian, str):
        return russian
    return field.description or ""


def _annotation_args(field: FieldInfo) -> tuple[Any, ...]:
    annotation = field.annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return typing.get_args(annotation)
    return (annotation,)


def _is_bool(field: FieldInfo) -> bool:
    return bool in _annotation_args(field)


def _is_mapping(field: FieldInfo) -> bool:
    return any(typing.get_origin(arg) is dict or arg is dict for arg in _annotation_args(field))


def fail(message: str, code: int = 2) -> typing.NoReturn:
    """Print an error for a person and exit."""
    print(message, file=sys.stderr)
    raise SystemExit(code)
