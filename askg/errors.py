"""Errors the CLI reports as one line (exit code 2 for bad input, 3 for an unreachable store or
service, 4 for output that cannot be written)."""

from __future__ import annotations


class AskgError(Exception):
    """Base class: the message is a complete one-line explanation for the user."""

    exit_code = 1


class InputError(AskgError):
    """A file, option or name given by the user is not usable; the message names it."""

    exit_code = 2


class StoreUnavailableError(AskgError):
    """The configured store cannot be reached or refused the credentials; the message names it."""

    exit_code = 3


class OutputError(AskgError):
    """A file or folder the command must write cannot be written (read-only, full, not a folder)."""

    exit_code = 4
