"""Curations in the run store: named, resumable selections and weightings of the accepted samples.

A curation never changes a sample. Under its name it keeps its settings and status, its finished
methods, each method's per-sample scores (NaN as NULL) and details and, once done, a keep/drop
decision, reason and weight in [0, 1] per accepted sample. Any writer adds the tables to an older
store (`RunStore.__init__`); a reader of a store without them sees no curations.
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synloom.errors import StoreError, SynloomError
from synloom.store.guards import Transaction, reading, writing
from synloom.store.names import check_name

CURATION_TABLES = ("curations", "curation_steps", "curation_scores", "curation_decisions")
CURATION_DDL = """
CREATE TABLE IF NOT EXISTS curations (
    name TEXT PRIMARY KEY, settings TEXT NOT NULL, status TEXT NOT NULL,
    summary TEXT, created_at REAL NOT NULL, finished_at REAL
);
CREATE TABLE IF NOT EXISTS curation_steps (
    curation TEXT NOT NULL, step INTEGER NOT NULL, method TEXT NOT NULL, summary TEXT,
    finished_at REAL, PRIMARY KEY (curation, step)
);
CREATE TABLE IF NOT EXISTS curation_scores (
    curation TEXT NOT NULL, method TEXT NOT NULL, sample_id TEXT NOT NULL, score REAL,
    detail TEXT, PRIMARY KEY (curation, method, sample_id)
);
CREATE TABLE IF NOT EXISTS curation_decisions (
    curation TEXT NOT NULL, sample_id TEXT NOT NULL, kept INTEGER NOT NULL, reason TEXT,
    weight REAL NOT NULL, PRIMARY KEY (curation, sample_id)
);
"""
RUNNING, DONE = "running", "done"  # a curation's status


def check_curation_name(name: str) -> str:
    """`name` if it can name a curation (and the files named after it), else a SynloomError."""
    return check_name("curation", name, 64)


@dataclass(frozen=True)
class CurationRecord:
    name: str
    settings: dict[str, Any]
    status: str  # "running" or "done"
    summary: dict[str, Any] | None
    created_at: float
    finished_at: float | None


@dataclass(frozen=True)
class Decision:
    kept: bool
    reason: str | None  # why it was dropped (or kept), as the pipeline says
    weight: float  # in [0, 1]; 1.0 when the curation does not weight


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=_plain)


def _plain(value: Any) -> Any:  # numpy scalars and arrays (in methods' details) as JSON
    for attr in ("tolist", "item"):
        if hasattr(value, attr):
            return getattr(value, attr)()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _first_difference(old: Any, new: Any, where: str = "") -> str:
    """The first key path where two settings differ, with both values."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            if old.get(key, _MISSING) != new.get(key, _MISSING):
                path = f"{where}.{key}" if where else str(key)
                return _first_difference(old.get(key, _MISSING), new.get(key, _MISSING), path)

    def show(value: Any) -> str:  # short: a list of sample ids must not fill the screen
        text = "absent" if value is _MISSING else repr(value)
        return text if len(text) <= 60 else text[:57] + "..."

    return f"{where or 'settings'}: stored {show(old)}, given {show(new)}"


_MISSING: Any = object()


class CurationStore:
    """The curation methods of `RunStore` (a mixin: uses its `db`, `path`, `run_dir`,
    `writable` and `transaction`)."""

    db: sqlite3.Connection
    path: Path
    run_dir: Path
    writable: bool
    transaction: Callable[[], Transaction]

    @writing
    def add_curation_tables(self) -> None:
        """Create the curation tables where they are missing (stores made before them)."""
        if self._has_curation_tables():
            return
        with self.transaction():
            for statement in CURATION_DDL.split(";"):
                if statement.strip():
                    self.db.execute(statement)

    def _has_curation_tables(self) -> bool:
        names = {
            r[0]
            for r in self.db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'curation%'"
            )
        }
        return set(CURATION_TABLES) <= names

    # reading -------------------------------------------------------------
    @reading
    def curation_names(self) -> list[str]:
        """Every curation of the run, in creation order; [] for a store made before them."""
        if not self._has_curation_tables():
            return []
        rows = self.db.execute("SELECT name FROM curations ORDER BY created_at, rowid")
        return [r[0] for r in rows]

    @reading
    def curation(self, name: str) -> CurationRecord | None:
        if not self._has_curation_tables():
            return None
        row = self.db.execute(
            "SELECT name, settings, status, summary, created_at, finished_at FROM curations"
            " WHERE name = ?",
            (name,),
        ).fetchone()
        if row is None:
            return None
        summary = None if row[3] is None else json.loads(row[3])
        return CurationRecord(row[0], json.loads(row[1]), row[2], summary, row[4], row[5])

    @reading
    def method_scores(self, name: str, method: str) -> dict[str, tuple[float, dict[str, Any]]]:
        """sample id -> (score, NaN where the method could not score; detail) of one method."""
        return self.curation_scores(name, method).get(method, {})

    @reading
    def curation_scores(
        self, name: str, method: str | None = None
    ) -> dict[str, dict[str, tuple[float, dict[str, Any]]]]:
        """method -> sample id -> (score, detail), of every method a curation scored (or one)."""
        if not self._has_curation_tables():
            return {}
        out: dict[str, dict[str, tuple[float, dict[str, Any]]]] = {}
        sql = "SELECT method, sample_id, score, detail FROM curation_scores WHERE curation = ?"
        args = (name,) if method is None else (name, method)
        for m, sample_id, score, detail in self.db.execute(
            sql + (" AND method = ?" if method is not None else "") + " ORDER BY rowid", args
        ):
            value = math.nan if score is None else float(score)
            out.setdefault(m, {})[sample_id] = (value, json.loads(detail) if detail else {})
        return out

    @reading
    def finished_steps(self, name: str) -> dict[int, tuple[str, dict[str, Any]]]:
        """step -> (method, its summary) of the steps a curation has finished."""
        if not self._has_curation_tables():
            return {}
        rows = self.db.execute(
            "SELECT step, method, summary FROM curation_steps WHERE curation = ? ORDER BY step",
            (name,),
        )
        return {step: (method, json.loads(s) if s else {}) for step, method, s in rows}

    @reading
    def decisions(self, name: str) -> dict[str, Decision]:
        """sample id -> its decision, once the curation is finished ({} before)."""
        if not self._has_curation_tables():
            return {}
        rows = self.db.execute(
            "SELECT sample_id, kept, reason, weight FROM curation_decisions WHERE curation = ?"
            " ORDER BY rowid",
            (name,),
        )
        return {sid: Decision(bool(kept), reason, float(w)) for sid, kept, reason, w in rows}

    # writing -------------------------------------------------------------
    @writing
    def start_curation(self, name: str, settings: dict[str, Any], *, replace: bool = False) -> bool:
        """Record a new curation as running (True), or find the same one to resume (False).

        The same name with other settings is refused, unless `replace`: then everything stored
        under the name is deleted and it starts anew, in one transaction."""
        check_curation_name(name)
        if not isinstance(settings, dict):
            raise SynloomError(
                f"curation settings must be a mapping, not {type(settings).__name__}"
            )
        text = _dumps(settings)
        with self.transaction():
            existing = self.curation(name)
            if existing is not None:
                if existing.settings == json.loads(text):
                    return False
                if not replace:
                    why = _first_difference(existing.settings, json.loads(text))
                    raise StoreError(
                        f"curation {name} already exists in {self.run_dir} with other settings"
                        f" ({why}); choose another --name or pass --replace"
                    )
                for table in CURATION_TABLES[1:]:
                    self.db.execute(f"DELETE FROM {table} WHERE curation = ?", (name,))
                self.db.execute("DELETE FROM curations WHERE name = ?", (name,))
            self.db.execute(
                "INSERT INTO curations (name, settings, status, created_at) VALUES (?, ?, ?, ?)",
                (name, text, RUNNING, time.time()),
            )
        return True

    @writing
    def put_method_scores(
        self, name: str, method: str, rows: Sequence[tuple[str, float | None, dict[str, Any]]]
    ) -> None:
        """Store (sample id, score, detail) rows of one method, in one transaction; a NaN or
        None score (could not score) is stored as NULL and read back as NaN."""
        values = []
        for sample_id, score, detail in rows:
            value = None if score is None or math.isnan(float(score)) else float(score)
            values.append((name, method, sample_id, value, _dumps(detail or {})))
        with self.transaction():
            self._require(name)
            self.db.executemany(
                "INSERT OR REPLACE INTO curation_scores VALUES (?, ?, ?, ?, ?)", values
            )

    @writing
    def finish_step(self, name: str, step: int, method: str, summary: dict[str, Any]) -> None:
        with self.transaction():
            self._require(name)
            self.db.execute(
                "INSERT OR REPLACE INTO curation_steps VALUES (?, ?, ?, ?, ?)",
                (name, step, method, _dumps(summary), time.time()),
            )

    @writing
    def finish_curation(
        self,
        name: str,
        decisions: Sequence[tuple[str, bool, str | None, float]],
        summary: dict[str, Any],
    ) -> None:
        """Store every sample's (id, kept, reason, weight) and mark the curation done, in one
        transaction (a curation is either unfinished or has all its decisions)."""
        values = []
        for sample_id, kept, reason, weight in decisions:
            w = float(weight)
            if not 0.0 <= w <= 1.0:  # also refuses NaN
                raise SynloomError(
                    f"curation {name}: sample {sample_id} has weight {w}, not in [0, 1]"
                )
            values.append((name, sample_id, int(bool(kept)), reason, w))
        with self.transaction():
            self._require(name)
            self.db.executemany(
                "INSERT OR REPLACE INTO curation_decisions VALUES (?, ?, ?, ?, ?)", values
            )
            self.db.execute(
                "UPDATE curations SET status = ?, summary = ?, finished_at = ? WHERE name = ?",
                (DONE, _dumps(summary), time.time(), name),
            )

    def _require(self, name: str) -> None:
        if self.db.execute("SELECT 1 FROM curations WHERE name = ?", (name,)).fetchone() is None:
            raise StoreError(f"{self.run_dir} has no curation {name}; start it first")
