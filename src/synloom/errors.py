"""Errors synloom raises on purpose. The CLI prints them as one line and exits with status 2."""

from __future__ import annotations


class SynloomError(Exception):
    """A problem the user can fix (bad input, missing file, unsupported option)."""

    exit_code = 2


class SpecError(SynloomError):
    """The task spec is invalid."""


class BackendError(SynloomError):
    """A backend cannot be created or cannot do what was asked (e.g. no log-prob support)."""


class StoreError(SynloomError):
    """The run directory is missing, corrupt, or belongs to a different spec."""


class IncompleteRunError(SynloomError):
    """Generation stopped before every label met its budget (request cap, a round with zero
    acceptance, a failure shared by every request). The run is stored and can be resumed."""

    exit_code = 3
