"""Errors of the trainer; each message names the setting or input to fix."""


class TrainerError(Exception):
    """Training could not run to the end."""


class SourceError(TrainerError):
    """The ticket history could not be read."""


class DataError(TrainerError):
    """The history was read but cannot be trained on (too few rows or classes)."""
