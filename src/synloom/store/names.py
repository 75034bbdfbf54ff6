"""The names a user gives to things kept beside a run (curations, evaluations): they also name
files, so one rule: letters, digits and _ . + -, not starting with . or -."""

from __future__ import annotations

import re

from synloom.errors import SynloomError


def check_name(kind: str, name: str, max_length: int) -> str:
    """`name` if it can name a `kind` (and the files named after it), else a SynloomError."""
    pattern = re.compile(rf"[A-Za-z0-9_+][A-Za-z0-9_.+-]{{0,{max_length - 1}}}")
    if not isinstance(name, str) or not pattern.fullmatch(name):
        raise SynloomError(
            f"bad {kind} name {name!r}: use 1-{max_length} letters, digits and _ . + -, not"
            " starting with . or -"
        )
    return name
