"""Evaluations kept side by side in a run directory.

Every `synloom evaluate` writes `evaluations/NAME.json` (NAME from `--name`, else the UTC time
it finished, `20250611-101502`, prefixed with the curation for a curation's) and then copies it
to `evaluation.json` (`evaluation-CURATION.json` for a curation's): that copy is the latest, what
`report` reads unless a name is chosen (`open_run(..., evaluation=NAME)`). A name is never
overwritten unless asked (`replace`). A run evaluated before this existed holds only
`evaluation.json`; the first new evaluation keeps it as `evaluations/<its time>.json` before it
writes anything, so no evaluation is lost.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from synloom.errors import StoreError, SynloomError
from synloom.store.artifacts.evaluation import (
    EVALUATION_FILE,
    Evaluation,
    evaluation_file,
    read_evaluation,
)
from synloom.store.names import check_name

EVALUATIONS_DIR = "evaluations"


def check_evaluation_name(name: str) -> str:
    """`name` if it can name an evaluation (a file name in `evaluations/`), else a SynloomError."""
    return check_name("evaluation", name, 100)


def named_path(run_dir: str | Path, name: str) -> Path:
    """Where the evaluation `name` lives: `RUN_DIR/evaluations/NAME.json`."""
    return Path(run_dir) / EVALUATIONS_DIR / f"{check_evaluation_name(name)}.json"


def find_evaluation(run_dir: str | Path, name: str) -> Path | None:
    """The file of the evaluation `name` as `list_evaluations` lists it (what `report
    --evaluation NAME` opens): `evaluations/NAME.json`, else a latest copy kept nowhere else (a
    run evaluated before evaluations were kept side by side), listed under its file name
    (`evaluation.json`); None if the run has no such evaluation."""
    path = named_path(run_dir, name)
    if path.is_file():
        return path
    return next((s.path for s in list_evaluations(run_dir) if s.name == name), None)


def check_new_name(run_dir: str | Path, name: str | None, *, replace: bool = False) -> None:
    """Before any work: a chosen name is valid and free (or `replace` says to overwrite it)."""
    if name is None:
        return
    path = named_path(run_dir, name)
    if path.exists() and not replace:
        raise SynloomError(
            f"{Path(run_dir)} already has an evaluation named {name!r} ({path}); choose another"
            " --name, or pass --replace to overwrite it"
        )


@dataclass(frozen=True)
class StoredEvaluation:
    """One evaluation file of a run: its name, path, content (None with `problem` when it cannot
    be read) and whether it is the latest of its curation (what `report` reads by default)."""

    name: str
    path: Path
    evaluation: Evaluation | None
    problem: str | None
    latest: bool

    @property
    def created_at(self) -> float:
        ev = self.evaluation
        if ev is not None and ev.created_at is not None:
            return ev.created_at
        return self.path.stat().st_mtime if self.path.exists() else 0.0


def list_evaluations(run_dir: str | Path) -> list[StoredEvaluation]:
    """Every evaluation of the run, oldest first: the files of `evaluations/`, and a latest copy
    (`evaluation.json`, `evaluation-CURATION.json`) that none of them equals (a run evaluated
    before evaluations were kept side by side)."""
    run_dir = Path(run_dir)
    folder = run_dir / EVALUATIONS_DIR
    named = sorted(folder.glob("*.json")) if folder.is_dir() else []
    latest_files = sorted(run_dir.glob("evaluation*.json"))
    latest_bytes = {_read_bytes(p) for p in latest_files}
    named_bytes = {_read_bytes(p) for p in named}
    found = [_stored(p, p.stem, _read_bytes(p) in latest_bytes) for p in named]
    found += [_stored(p, p.name, True) for p in latest_files if _read_bytes(p) not in named_bytes]
    return sorted(found, key=lambda s: (s.created_at, s.name))


def save_evaluation(
    run_dir: str | Path, evaluation: Evaluation, name: str | None = None, *, replace: bool = False
) -> tuple[str, Path]:
    """Keep `evaluation` as `evaluations/NAME.json` (NAME: `name`, else its time) and make it the
    latest of its curation; returns (NAME, path). An earlier latest copy that is kept nowhere
    else is kept first."""
    run_dir = Path(run_dir)
    folder = run_dir / EVALUATIONS_DIR
    folder.mkdir(exist_ok=True)
    latest = run_dir / evaluation_file(evaluation.curation)
    _keep_unkept(latest, folder)
    if name is not None:
        check_new_name(run_dir, name, replace=replace)
        path = named_path(run_dir, name)
        _write_atomic(path, _dumps(evaluation, name))
    else:
        name, path = _write_new(folder, _time_name(evaluation), evaluation)
    _write_atomic(latest, path.read_text("utf-8"))
    return name, path


def _time_name(evaluation: Evaluation) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(evaluation.created_at or time.time()))
    return stamp if evaluation.curation is None else f"{evaluation.curation}-{stamp}"


def _write_new(folder: Path, base: str, evaluation: Evaluation) -> tuple[str, Path]:
    """Create `base.json`, else `base-2.json`, ...: never over a file already there."""
    for n in range(1, 10_000):
        name = base if n == 1 else f"{base}-{n}"
        path = folder / f"{name}.json"
        try:
            with open(path, "x", encoding="utf-8") as fh:
                fh.write(_dumps(evaluation, name))
        except FileExistsError:
            continue
        return name, path
    raise StoreError(f"{folder} holds too many evaluations named {base}-N")


def _keep_unkept(latest: Path, folder: Path) -> None:
    """Copy a latest file that no file of `folder` equals into `folder` (named by its time)."""
    if not latest.is_file():
        return
    content = _read_bytes(latest)
    if any(_read_bytes(p) == content for p in folder.glob("*.json")):
        return
    try:
        previous = read_evaluation(latest)
    except StoreError:
        previous = None
    when = previous.created_at if previous is not None and previous.created_at else None
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(when or latest.stat().st_mtime))
    base = latest.stem if latest.name != EVALUATION_FILE else "evaluation"
    for n in range(1, 10_000):
        target = folder / f"{base}-{stamp}{'' if n == 1 else f'-{n}'}.json"
        if not target.exists():
            shutil.copyfile(latest, target)
            return


def _dumps(evaluation: Evaluation, name: str) -> str:
    data = evaluation.model_dump() | {"name": name}
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, "utf-8")
    os.replace(tmp, path)


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _stored(path: Path, name: str, latest: bool) -> StoredEvaluation:
    try:
        return StoredEvaluation(name, path, read_evaluation(path), None, latest)
    except StoreError as exc:
        return StoredEvaluation(name, path, None, str(exc), latest)
