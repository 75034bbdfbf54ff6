"""Checks on the paths a command writes to, done before any work: one-line errors, and outputs
that never resolve (symlinks and hard links included) to a file synloom keeps in a run directory.
"""

from __future__ import annotations

import os
from pathlib import Path

from synloom.errors import SynloomError

# Files synloom owns inside a run directory: the store with its SQLite side files, the lock, the
# stored evaluation. A command's output must never be one of them.
STORE_SUFFIXES = ("", "-wal", "-shm", "-journal")
CURATED_EVALUATIONS = "evaluation-*.json"
KEPT_EVALUATIONS = "evaluations/*.json"  # evaluations kept side by side (evaluations/NAME.json)


def _store_names() -> tuple[str, ...]:
    """Names that are a run's store, its SQLite side files or a lock, in any directory."""
    from synloom.store import LOCK_FILE, STORE_FILE

    return (*(STORE_FILE + s for s in STORE_SUFFIXES), LOCK_FILE)


def _owned_files(run_dir: Path) -> list[Path]:
    from synloom.evaluate.table import EVALUATION_FILE

    root = resolved(run_dir)
    owned = [root / name for name in (*_store_names(), EVALUATION_FILE)]
    # the stored evaluations of curations (evaluation-NAME.json) and those kept side by side
    if not root.is_dir():
        return owned
    return owned + sorted(root.glob(CURATED_EVALUATIONS)) + sorted(root.glob(KEPT_EVALUATIONS))


def resolved(path: Path) -> Path:
    """`path.resolve()`, with a symlink loop or an impossible name as a one-line error."""
    try:
        return path.resolve()
    except (OSError, RuntimeError) as exc:
        raise SynloomError(
            f"cannot resolve {path}: {getattr(exc, 'strerror', None) or exc}"
        ) from None


def _first_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if os.path.lexists(candidate):
            return candidate
    return Path(path.anchor or ".")


def _check_creatable(path: Path, what: str) -> None:
    """`path` does not exist yet; its nearest existing ancestor must be a writable directory."""
    ancestor = _first_existing(path.parent)
    if not ancestor.is_dir():
        raise SynloomError(f"cannot create {what} {path}: {ancestor} is not a directory")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise SynloomError(f"cannot create {what} {path}: {ancestor} is not writable")


def prepare_run_dir(out: Path) -> None:
    """`--out` of `generate`/`quickstart`: an existing directory, or one that can be created
    (created here, so that an unwritable location fails now with one line)."""
    if out.exists() or out.is_symlink():
        if not out.is_dir():
            raise SynloomError(f"--out {out} exists and is not a directory")
        if not os.access(out, os.W_OK | os.X_OK):
            raise SynloomError(f"--out {out} is not writable")
        return
    _check_creatable(out, "run directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SynloomError(f"cannot create run directory {out}: {exc.strerror or exc}") from None


def _is_owned(target: Path, run_dir: Path) -> bool:
    """Whether `target` is, resolves to, or is a hard link of a file synloom keeps in a run."""
    real = resolved(target)
    if real.name in _store_names():
        return True  # the store (or lock) of this run or of any other
    if real.parent == resolved(run_dir) and real.match(CURATED_EVALUATIONS):
        return True  # a curation's stored evaluation, even before it is written
    if real.parent == resolved(run_dir) / "evaluations":
        return True  # the folder of kept evaluations is synloom's
    owned = _owned_files(run_dir)
    if real in owned:
        return True
    return target.exists() and any(p.exists() and os.path.samefile(target, p) for p in owned)


def _is_previous_hf_export(path: Path) -> bool:
    from synloom.store.export_writers import is_hf_export  # a Dataset or a DatasetDict (--split)

    return is_hf_export(path)


def check_output(
    out: Path,
    run_dir: Path,
    what: str,
    *,
    directory: bool = False,
    create_parents: bool = False,
) -> None:
    """An output of `export`/`report` (`what`: "the export", "the report"): never a file synloom
    keeps in a run, never the run directory or one above it; a file target is not a directory,
    a directory target (`export -f hf`) is new, empty or an earlier export; the parent exists
    (or, with `create_parents`, can be created)."""
    why = _output_problem(out, run_dir, directory=directory, create_parents=create_parents)
    if why:
        raise SynloomError(f"cannot write {what} to {out}: {why}")


def _output_problem(out: Path, run_dir: Path, *, directory: bool, create_parents: bool) -> str:
    if _is_owned(out, run_dir):
        return (
            "that is a file synloom keeps in a run (store, lock, evaluation); choose another path"
        )
    real, run_real = resolved(out), resolved(run_dir)
    if real == run_real or real in run_real.parents:
        return "that is the run directory or holds it; choose another path"
    if out.exists():
        if directory and not out.is_dir():
            return "it exists and is not a directory"
        if directory and any(out.iterdir()) and not _is_previous_hf_export(out):
            return "it is a directory that is not empty; choose a new path"
        if not directory and out.is_dir():
            return "it is a directory; give a file path"
        return "" if os.access(out, os.W_OK) else "it is not writable"
    if not create_parents:
        if not out.parent.is_dir():
            return (
                f"{out.parent} {'is not a directory' if out.parent.exists() else 'does not exist'}"
            )
        return "" if os.access(out.parent, os.W_OK | os.X_OK) else f"{out.parent} is not writable"
    ancestor = _first_existing(out.parent)
    if not ancestor.is_dir():
        return f"{ancestor} is not a directory"
    return "" if os.access(ancestor, os.W_OK | os.X_OK) else f"{ancestor} is not writable"
