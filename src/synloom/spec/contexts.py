"""The contexts file a recipe names: read, checked and hashed before any model call."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from synloom.errors import SpecError
from synloom.spec.oneline import one_line


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SpecError(one_line(f"{path}: cannot read ({exc.strerror or exc})")) from None


def read_contexts_file(path: str | Path) -> list[str]:
    """Contexts from a plain-text file (one per non-blank line) or JSONL (field `text`)."""
    path = Path(path)
    data = _read_bytes(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(
            one_line(f"{path}: not UTF-8 text (byte offset {exc.start}: {exc.reason})")
        ) from None
    lines = [(n, ln.strip()) for n, ln in enumerate(text.splitlines(), 1) if ln.strip()]
    if path.suffix == ".jsonl":
        contexts = []
        for n, line in lines:
            try:
                value = json.loads(line)["text"]
            except (ValueError, KeyError, TypeError, IndexError, RecursionError) as exc:
                raise SpecError(
                    one_line(f"{path}: line {n}: every JSONL line needs a `text` field ({exc})")
                ) from None
            if value is None or isinstance(value, dict | list) or not str(value).strip():
                raise SpecError(one_line(f"{path}: line {n}: `text` must be non-blank text"))
            contexts.append(str(value))
    else:
        contexts = [line for _, line in lines]
    if not contexts:
        raise SpecError(one_line(f"{path}: no contexts in file"))
    return contexts


def file_sha256(path: str | Path) -> str:
    """Content hash recorded in the run manifest, so a resumed run sees an edited file."""
    return hashlib.sha256(_read_bytes(Path(path))).hexdigest()
