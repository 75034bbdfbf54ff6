"""Local paths in a dataset card: a card is published (`synloom push`), so it names the files a
run read (seed file, contexts file, test and reference data, a local model directory) by their
file name and, for the seed file, a content hash, never by the absolute path on this machine."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from synloom.errors import SynloomError

DIGEST_CHARS = 16  # the sha256 prefix a card shows


def is_local_path(value: Any) -> bool:
    """An absolute path (or one under the home directory) on one line."""
    return (
        isinstance(value, str)
        and "\n" not in value
        and (os.path.isabs(value) or value.startswith("~"))
    )


def public_name(value: Any) -> Any:
    """The file or folder name of a local path; anything else as it is (a relative name, a hub
    id such as `org/model`, or a description such as "in-memory data (80 rows)")."""
    if is_local_path(value):
        return Path(value.rstrip("/\\") or value).name or value
    return value


def file_digest(path: str | Path) -> str | None:
    """The sha256 prefix of a file's bytes (a saved-dataset folder: of its files' names and
    bytes), as it is now; None when it cannot be read any more, or for a relative path (which
    would resolve against whatever the working directory is now)."""
    from synloom.spec.contexts import file_sha256

    if not is_local_path(str(path)):
        return None
    try:
        return file_sha256(Path(path).expanduser())[:DIGEST_CHARS]
    except (SynloomError, OSError):
        return None


def rows_digest(rows: Any) -> str:
    """The sha256 prefix of rows (the seed examples a run used) as canonical JSON."""
    text = json.dumps(rows, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:DIGEST_CHARS]


def scrub(value: Any, prefixes: tuple[str, ...] = ()) -> Any:
    """`value` (JSON types) with every string that is a local path reduced to its name, and each
    of `prefixes` (absolute directories, e.g. the run's) cut out of longer strings (messages)."""
    if isinstance(value, dict):
        return {k: scrub(v, prefixes) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, prefixes) for v in value]
    if not isinstance(value, str):
        return value
    if is_local_path(value):
        return public_name(value)
    for prefix in prefixes:
        value = value.replace(prefix + os.sep, "").replace(prefix, ".")
    return value
