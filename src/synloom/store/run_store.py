"""RunStore: the SQLite file behind a run directory (WAL, one transaction per batch).

Opened read-only by default (readers never create, lock or change a file); `create=True` or
`writable=True` opens it for writing under the run directory's exclusive writer lock, held
until `close()`. Every SQLite failure leaves this class as a one-line StoreError.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from synloom.errors import StoreError
from synloom.store.connect import connect_reader, connect_writer
from synloom.store.counts import CountsStore
from synloom.store.curations import CurationStore
from synloom.store.guards import Transaction, reading, writing
from synloom.store.lock import LOCK_FILE, RunLock, check_not_locked
from synloom.store.records import Output, PlannedRequest, Sample
from synloom.store.schema import (
    SCHEMA_VERSION,
    UNFINISHED,
    UNUSED_BATCH_SEED,
    OutputStatus,
    RequestStatus,
)

STORE_FILE = "run.sqlite"
_IN_UNFINISHED = "(" + ", ".join(f"'{s}'" for s in UNFINISHED) + ")"  # SQL: status IN ...


def annotations_key(stage: str, rnd: int) -> str:
    """The `scores` row holding a recipe's annotations of one planned round."""
    return f"recipe:{stage}:{rnd}"


class RunStore(CountsStore, CurationStore):
    """The store of `run_dir`. Use as a context manager or call `close()`.

    Default: read-only; the run must exist. `writable=True`: the run must exist, and this object
    holds the writer lock (a second writer gets "in use by pid N" at once and writes nothing).
    `create=True`: writable, and the directory and store are created when missing. A file that
    is not a synloom store (foreign, empty, corrupt, newer schema) is refused and left as it is.
    """

    def __init__(self, run_dir: str | Path, *, create: bool = False, writable: bool = False):
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / STORE_FILE
        self.writable = create or writable
        self._lock: RunLock | None = None
        if self.run_dir.exists() and not self.run_dir.is_dir():
            raise StoreError(f"{self.run_dir} is not a synloom run (not a directory)")
        if not self.writable:
            self.db = connect_reader(self.path)
            return
        if create:
            try:
                self.run_dir.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create run directory {self.run_dir}: {exc.strerror or exc}"
                ) from None
        if self.path.exists() or not create:
            # Judge an existing file before taking the lock, so a foreign or broken file is
            # refused without creating anything next to it.
            try:
                connect_reader(self.path).close()
            except StoreError:
                check_not_locked(self.run_dir)  # "in use" explains a store being written
                raise
        self._lock = RunLock(self.run_dir)
        try:
            self.db = connect_writer(self.path)  # checked again, now under the lock
            self.add_curation_tables()  # stores made before curations get their tables
        except BaseException:
            self._lock.release()
            raise

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.db.close()
        finally:
            if self._lock is not None:
                self._lock.release()
                self._lock = None

    def owns(self, target: str | Path) -> bool:
        """Whether `target` is (a link to) the store, an SQLite side file or the lock: such a
        path must never be an output."""
        names = [STORE_FILE + s for s in ("", "-wal", "-shm", "-journal")] + [LOCK_FILE]
        owned = [self.run_dir / n for n in names]
        target = Path(target)
        if target.resolve() in {p.resolve() for p in owned}:
            return True
        try:
            return target.exists() and any(p.exists() and p.samefile(target) for p in owned)
        except OSError:
            return False

    def transaction(self) -> Transaction:
        if not self.writable:
            raise StoreError(f"{self.path} is open read-only")
        return Transaction(self.db, self.path)

    # manifest -----------------------------------------------------------
    @reading
    def manifest(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self.db.execute("SELECT key, value FROM manifest")}

    @writing
    def write_manifest(self, values: dict[str, Any]) -> None:
        with self.transaction():
            self.db.executemany(
                "INSERT OR REPLACE INTO manifest VALUES (?, ?)",
                [(k, json.dumps(v, sort_keys=True)) for k, v in values.items()]
                + [("schema_version", json.dumps(SCHEMA_VERSION))],
            )

    # rounds and requests ------------------------------------------------
    @reading
    def round_state(self, stage: str, rnd: int) -> tuple[bool, bool]:
        """(planned, finalized) of a round."""
        row = self.db.execute(
            "SELECT finalized FROM rounds WHERE stage = ? AND round = ?", (stage, rnd)
        ).fetchone()
        return (row is not None, bool(row and row[0]))

    @writing
    def add_round(
        self, stage: str, rnd: int, requests: list[PlannedRequest], annotations: Any = None
    ) -> None:
        """Write a round's whole plan in one transaction, before any of it is sent, with the
        recipe's `annotations` for it (JSON-able; the `scores` row `recipe:<stage>:<round>`)."""
        now = time.time()
        with self.transaction():
            if annotations is not None:
                self.put_score(annotations_key(stage, rnd), annotations)
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
                        UNUSED_BATCH_SEED,
                        now,
                    )
                    for r in requests
                ],
            )
            self.db.execute(
                "INSERT INTO rounds (stage, round, planned) VALUES (?, ?, ?)",
                (stage, rnd, len(requests)),
            )

    @writing
    def finalize_round(self, stage: str, rnd: int) -> None:
        self.db.execute(
            "UPDATE rounds SET finalized = 1 WHERE stage = ? AND round = ?", (stage, rnd)
        )

    @reading
    def requests(
        self, stage: str, rnd: int, status: RequestStatus | Literal["unfinished"] | None = None
    ) -> list[PlannedRequest]:
        """A round's requests in plan order; `status` keeps one status, or "unfinished" (planned
        or sent: what a rerun sends)."""
        sql = (
            "SELECT id, stage, round, idx, batch, label, prompt, context, seed, params,"
            " meta FROM requests WHERE stage = ? AND round = ?"
        )
        args: list[Any] = [stage, rnd]
        if status == "unfinished":
            sql += f" AND status IN {_IN_UNFINISHED}"
        elif status is not None:
            sql += " AND status = ?"
            args.append(RequestStatus(status))
        rows = self.db.execute(sql + " ORDER BY idx", args).fetchall()
        return [
            PlannedRequest(*row[:9], params=json.loads(row[9]), meta=json.loads(row[10]))
            for row in rows
        ]

    @writing
    def mark_sent(self, ids: list[str]) -> None:
        now = time.time()
        with self.transaction():
            self.db.executemany(
                f"UPDATE requests SET status = '{RequestStatus.SENT}', attempts = attempts + 1,"
                f" sent_at = ? WHERE id = ? AND status IN {_IN_UNFINISHED}",
                [(now, i) for i in ids],
            )

    @writing
    def record_failure(self, request_id: str, error: str) -> None:
        self.db.execute(
            f"UPDATE requests SET status = '{RequestStatus.FAILED}', error = ?, finished_at = ?"
            f" WHERE id = ? AND status IN {_IN_UNFINISHED}",
            (error, time.time(), request_id),
        )

    @writing
    def record_output(self, request_id: str, out: Output | Mapping[str, Any]) -> None:
        """Insert one parsed output and mark its request done (call inside a transaction).
        A request that already finished is refused: its outcome is never replaced. A mapping
        with `Output`'s fields is accepted too (rows written by hand, as in test fixtures)."""
        if not isinstance(out, Output):
            out = Output(**out)
        now = time.time()
        moved = self.db.execute(
            f"UPDATE requests SET status = '{RequestStatus.DONE}', finished_at = ?"
            f" WHERE id = ? AND status IN {_IN_UNFINISHED}",
            (now, request_id),
        ).rowcount
        if moved != 1:
            raise StoreError(
                f"{self.path}: request {request_id} is unknown or already finished; its outcome"
                " is kept"
            )
        self.db.execute(
            "INSERT INTO outputs (request_id, raw_text, completion, finish_reason, n_tokens, status,"
            " reason, detail, text, text_b, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                request_id,
                out.raw_text,
                out.completion,
                out.finish_reason,
                out.n_tokens,
                out.status,
                out.reason,
                out.detail,
                out.text,
                out.text_b,
                now,
            ),
        )

    @reading
    def candidates(self, stage: str, rnd: int) -> list[tuple[str, str | None, str, str | None]]:
        """(id, label, text, text_b) of a round's parsed-but-unfinalized outputs, in plan order."""
        return self.db.execute(
            "SELECT r.id, r.label, o.text, o.text_b FROM outputs o JOIN requests r"
            " ON r.id = o.request_id WHERE r.stage = ? AND r.round = ? AND o.status = ?"
            " ORDER BY r.idx",
            (stage, rnd, OutputStatus.CANDIDATE),
        ).fetchall()

    @writing
    def accept(self, request_id: str) -> None:
        """Finalize a candidate as accepted."""
        self._set_status(request_id, OutputStatus.ACCEPTED, None, None, None)

    @writing
    def reject(
        self, request_id: str, reason: str, detail: str | None = None, dup_of: str | None = None
    ) -> None:
        """Finalize a candidate as rejected, with why (and the id it duplicates, if any)."""
        self._set_status(request_id, OutputStatus.REJECTED, reason, detail, dup_of)

    def _set_status(self, request_id, status, reason, detail, dup_of) -> None:
        self.db.execute(
            "UPDATE outputs SET status = ?, reason = ?, detail = ?, dup_of = ? WHERE request_id = ?",
            (status, reason, detail, dup_of, request_id),
        )

    # reading -------------------------------------------------------------
    @reading
    def accepted(self, stage: str = "sample") -> list[Sample]:
        """The accepted samples in plan order, read row by row (never all rows twice: a run of
        1M samples holds only its `Sample`s)."""
        rows = self.db.execute(
            "SELECT id, label, text, text_b, meta, context FROM accepted WHERE stage = ?"
            " ORDER BY round, idx",
            (stage,),
        )
        return [Sample(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5]) for r in rows]

    @reading
    def rejected(self, stage: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT id, stage, label, reason, detail, raw_text, completion, dup_of FROM rejected"
        rows = self.db.execute(
            sql + (" WHERE stage = ?" if stage else "") + " ORDER BY stage, round, idx",
            (stage,) if stage else (),
        ).fetchall()
        keys = ("id", "stage", "label", "reason", "detail", "raw_text", "completion", "dup_of")
        return [dict(zip(keys, r)) for r in rows]

    @reading
    def failed(self) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT id, stage, label, error, attempts FROM failed").fetchall()
        return [dict(zip(("id", "stage", "label", "error", "attempts"), r)) for r in rows]

    # scores ------------------------------------------------------------
    @writing
    def put_score(self, name: str, value: Any) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO scores VALUES (?, ?, ?)",
            (name, json.dumps(value, sort_keys=True), time.time()),
        )

    @reading
    def round_annotations(self, stage: str, rnd: int) -> Any:
        """What the recipe stored with the plan of round `rnd` of `stage`, or None."""
        row = self.db.execute(
            "SELECT value FROM scores WHERE name = ?", (annotations_key(stage, rnd),)
        ).fetchone()
        return None if row is None else json.loads(row[0])

    @reading
    def scores(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self.db.execute("SELECT name, value FROM scores")}
