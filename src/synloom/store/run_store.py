"""RunStore: the SQLite file behind a run directory (WAL, one transaction per batch)."""

from __future__ import annotations

import json
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synloom.errors import StoreError
from synloom.store.schema import DDL, SCHEMA_VERSION

STORE_FILE = "run.sqlite"


@dataclass(frozen=True)
class PlannedRequest:
    id: str
    stage: str
    round: int
    idx: int
    batch: int
    label: str | None
    prompt: str
    context: str | None
    seed: int
    batch_seed: int
    params: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Sample:
    id: str
    label: str
    text: str
    text_b: str | None
    meta: dict[str, Any]

    def to_record(self) -> dict[str, Any]:
        rec: dict[str, Any] = {"id": self.id, "text": self.text, "label": self.label}
        if self.text_b is not None:
            rec["text_b"] = self.text_b
        return rec | {"meta": self.meta}


class RunStore:
    """Open (or create) the store of `run_dir`. Use as a context manager or call `close()`."""

    def __init__(self, run_dir: str | Path, *, create: bool = False):
        self.run_dir = Path(run_dir)
        path = self.run_dir / STORE_FILE
        if not path.is_file():
            if not create:
                raise StoreError(f"{self.run_dir} is not a synloom run (no {STORE_FILE})")
            self.run_dir.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, timeout=60)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(DDL)

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def transaction(self) -> _Tx:
        return _Tx(self.db)

    # manifest -----------------------------------------------------------
    def manifest(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self.db.execute("SELECT key, value FROM manifest")}

    def write_manifest(self, values: dict[str, Any]) -> None:
        with self.transaction():
            self.db.executemany(
                "INSERT OR REPLACE INTO manifest VALUES (?, ?)",
                [(k, json.dumps(v, sort_keys=True)) for k, v in values.items()]
                + [("schema_version", json.dumps(SCHEMA_VERSION))],
            )

    # rounds and requests ------------------------------------------------
    def round_state(self, stage: str, rnd: int) -> tuple[bool, bool]:
        """(planned, finalized) of a round."""
        row = self.db.execute(
            "SELECT finalized FROM rounds WHERE stage = ? AND round = ?", (stage, rnd)
        ).fetchone()
        return (row is not None, bool(row and row[0]))

    def add_round(self, stage: str, rnd: int, requests: list[PlannedRequest]) -> None:
        """Write a round's whole plan in one transaction, before any of it is sent."""
        now = time.time()
        with self.transaction():
            self.db.executemany(
                "INSERT INTO requests (id, stage, round, idx, batch, label, prompt, context, meta,"
                " params, seed, batch_seed, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        r.id,
                        r.stage,
                        r.round,
                        r.idx,
                        r.batch,
                        r.label,
                        r.prompt,
                        r.context,
                        json.dumps(r.meta, sort_keys=True),
                        json.dumps(r.params),
                        r.seed,
                        r.batch_seed,
                        now,
                    )
                    for r in requests
                ],
            )
            self.db.execute(
                "INSERT INTO rounds (stage, round, planned) VALUES (?, ?, ?)",
                (stage, rnd, len(requests)),
            )

    def finalize_round(self, stage: str, rnd: int) -> None:
        self.db.execute(
            "UPDATE rounds SET finalized = 1 WHERE stage = ? AND round = ?", (stage, rnd)
        )

    def requests(self, stage: str, rnd: int, status: str | None = None) -> list[PlannedRequest]:
        sql = (
            "SELECT id, stage, round, idx, batch, label, prompt, context, seed, batch_seed, params,"
            " meta FROM requests WHERE stage = ? AND round = ?"
        )
        args: list[Any] = [stage, rnd]
        if status == "unfinished":
            sql += " AND status IN ('planned', 'sent')"
        elif status is not None:
            sql += " AND status = ?"
            args.append(status)
        rows = self.db.execute(sql + " ORDER BY idx", args).fetchall()
        return [
            PlannedRequest(*row[:10], params=json.loads(row[10]), meta=json.loads(row[11]))
            for row in rows
        ]

    def mark_sent(self, ids: list[str]) -> None:
        now = time.time()
        with self.transaction():
            self.db.executemany(
                "UPDATE requests SET status = 'sent', attempts = attempts + 1, sent_at = ?"
                " WHERE id = ?",
                [(now, i) for i in ids],
            )

    def record_failure(self, request_id: str, error: str) -> None:
        self.db.execute(
            "UPDATE requests SET status = 'failed', error = ?, finished_at = ? WHERE id = ?",
            (error, time.time(), request_id),
        )

    def record_output(self, request_id: str, out: dict[str, Any]) -> None:
        """Insert one parsed output and mark its request done (call inside a transaction)."""
        now = time.time()
        self.db.execute(
            "INSERT INTO outputs (request_id, raw_text, completion, finish_reason, n_tokens, status,"
            " reason, detail, text, text_b, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                request_id,
                out["raw_text"],
                out["completion"],
                out["finish_reason"],
                out["n_tokens"],
                out["status"],
                out.get("reason"),
                out.get("detail"),
                out.get("text"),
                out.get("text_b"),
                now,
            ),
        )
        self.db.execute(
            "UPDATE requests SET status = 'done', finished_at = ? WHERE id = ?", (now, request_id)
        )

    def candidates(self, stage: str, rnd: int) -> list[tuple[str, str | None, str, str | None]]:
        """(id, label, text, text_b) of a round's parsed-but-unfinalized outputs, in plan order."""
        return self.db.execute(
            "SELECT r.id, r.label, o.text, o.text_b FROM outputs o JOIN requests r"
            " ON r.id = o.request_id WHERE r.stage = ? AND r.round = ? AND o.status = 'candidate'"
            " ORDER BY r.idx",
            (stage, rnd),
        ).fetchall()

    def set_status(
        self,
        request_id: str,
        status: str,
        reason: str | None = None,
        detail: str | None = None,
        dup_of: str | None = None,
    ) -> None:
        self.db.execute(
            "UPDATE outputs SET status = ?, reason = ?, detail = ?, dup_of = ? WHERE request_id = ?",
            (status, reason, detail, dup_of, request_id),
        )

    # reading -------------------------------------------------------------
    def accepted(self, stage: str = "sample") -> list[Sample]:
        rows = self.db.execute(
            "SELECT id, label, text, text_b, meta FROM accepted WHERE stage = ?"
            " ORDER BY round, idx",
            (stage,),
        ).fetchall()
        return [Sample(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows]

    def rejected(self, stage: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT id, stage, label, reason, detail, raw_text, completion, dup_of FROM rejected"
        rows = self.db.execute(
            sql + (" WHERE stage = ?" if stage else "") + " ORDER BY stage, round, idx",
            (stage,) if stage else (),
        ).fetchall()
        keys = ("id", "stage", "label", "reason", "detail", "raw_text", "completion", "dup_of")
        return [dict(zip(keys, r)) for r in rows]

    def failed(self) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT id, stage, label, error, attempts FROM failed").fetchall()
        return [dict(zip(("id", "stage", "label", "error", "attempts"), r)) for r in rows]

    def counts(self, stage: str = "sample") -> dict[str, Any]:
        """Request and output counts; accepted + rejected + failed + unfinished = planned."""
        req = Counter(
            dict(
                self.db.execute(
                    "SELECT status, COUNT(*) FROM requests WHERE stage = ? GROUP BY status",
                    (stage,),
                ).fetchall()
            )
        )
        out = Counter(
            dict(
                self.db.execute(
                    "SELECT o.status, COUNT(*) FROM outputs o JOIN requests r ON r.id = o.request_id"
                    " WHERE r.stage = ? GROUP BY o.status",
                    (stage,),
                ).fetchall()
            )
        )
        return {
            "planned": sum(req.values()),
            "done": req["done"],
            "failed": req["failed"],
            "unfinished": req["planned"] + req["sent"],
            "accepted": out["accepted"],
            "rejected": out["rejected"],
            "candidate": out["candidate"],
        }

    def label_counts(self, stage: str = "sample") -> dict[str, int]:
        return dict(
            self.db.execute(
                "SELECT label, COUNT(*) FROM accepted WHERE stage = ? GROUP BY label ORDER BY label",
                (stage,),
            ).fetchall()
        )

    def rejection_reasons(self, stage: str = "sample") -> dict[str, int]:
        return dict(
            self.db.execute(
                "SELECT reason, COUNT(*) FROM rejected WHERE stage = ? GROUP BY reason"
                " ORDER BY COUNT(*) DESC",
                (stage,),
            ).fetchall()
        )

    def label_stats(self, stage: str, labels: list[str]) -> dict[str, tuple[int, int]]:
        """Per label: (accepted, finished requests) over finalized rounds."""
        acc = dict(
            self.db.execute(
                "SELECT label, COUNT(*) FROM accepted WHERE stage = ? GROUP BY label", (stage,)
            ).fetchall()
        )
        done = dict(
            self.db.execute(
                "SELECT label, COUNT(*) FROM requests WHERE stage = ? AND status IN ('done','failed')"
                " GROUP BY label",
                (stage,),
            ).fetchall()
        )
        return {lab: (acc.get(lab, 0), done.get(lab, 0)) for lab in labels}

    # scores ------------------------------------------------------------
    def put_score(self, name: str, value: Any) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO scores VALUES (?, ?, ?)",
            (name, json.dumps(value, sort_keys=True), time.time()),
        )

    def scores(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self.db.execute("SELECT name, value FROM scores")}


class _Tx:
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type, *exc: object) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")
