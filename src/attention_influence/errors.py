"""One error hierarchy. `UserError`s are bad input or settings: the CLI prints their message as
one line and exits with status 2. Anything else is a bug or a broken environment."""

from __future__ import annotations


class AttninfError(Exception):
    """Base class of every error this package raises on purpose."""


class UserError(AttninfError, ValueError):
    """Bad input, settings or run folder; the message says what and where, in one line."""


class SettingError(UserError):
    """A setting outside its allowed values. `setting` is its name (the API's keyword argument,
    e.g. max_length); the CLI shows the matching flag."""

    def __init__(self, setting: str, message: str):
        super().__init__(f"{setting}: {message}")
        self.setting = setting
        self.detail = message


class InputError(UserError):
    """An input file or record that cannot be used; the message names the file (and line)."""


class ModelError(UserError):
    """The model cannot be found, loaded or masked."""


class RunError(UserError):
    """The run folder is in a state that forbids the command (other settings, locked by another
    process, incomplete, a source changed since it was scored)."""


class MissingExtraError(UserError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


EXTRAS = {  # pyproject.toml's optional dependencies (tests/test_missing_extras.py keeps them equal)
    "ray": ("ray[data]>=2.40,<3",),
    "datatrove": ("datatrove>=0.4", "orjson>=3.8"),
}


def missing_extra(extra: str, needed_by: str) -> MissingExtraError:
    """The one-line error for a missing optional dependency: the packages of the extra, as pip
    installs them from anywhere, and the extra's form for a clone."""
    packages = " ".join(f"'{r}'" for r in EXTRAS[extra])
    return MissingExtraError(
        f"{needed_by} needs the extra [{extra}]: pip install {packages} (or, in a clone of attention-influence: "
        f"pip install '.[{extra}]')"
    )


class InternalError(AttninfError, RuntimeError):
    """An invariant of this package failed (a bug, never bad input): e.g. a record went missing."""
