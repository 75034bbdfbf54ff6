"""Opening `run.sqlite`: prove it is a synloom store before anything touches it, then connect
read-only (readers) or read-write under the writer lock (see `lock.py`).

Readers never create or change a file:
- with a `-wal` file present (a writer is running, or was killed before its last checkpoint) the
  store is opened `mode=ro`, which reads the log through the existing `-shm` (SQLite builds the
  index in memory when the `-shm` is read-only); the log's data is therefore visible;
- without one (the writer closed cleanly, so every change is in the main file) it is opened
  `immutable=1`: `mode=ro` would create `-wal`/`-shm` next to a WAL database and leave them, and
  fails outright in a read-only directory.
A store is recognised by its SQLite header, synloom's tables and views and a `schema_version` this
version understands (a new store's manifest is empty until the spec is recorded). `PRAGMA quick_check` runs at every open of a store up to
`QUICK_CHECK_MAX_BYTES` (file + log): it reads each page once (milliseconds for ordinary runs) and
turns a zeroed or truncated page into a "corrupt" error at open instead of a wrong answer later;
bigger stores skip it and still fail cleanly on the first query that hits a bad page.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import stat
from pathlib import Path

from synloom.errors import StoreError
from synloom.store.schema import DDL, SCHEMA_VERSION

SQLITE_HEADER = b"SQLite format 3\x00"
QUICK_CHECK_MAX_BYTES = 128 * 1024 * 1024
TABLES = frozenset({"manifest", "rounds", "requests", "outputs", "scores"})
VIEWS = frozenset({"accepted", "rejected", "failed"})
CREATING = ".run.sqlite.creating"  # a new store is built here, then renamed into place


def sidecar(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def sqlite_error(path: Path, exc: sqlite3.Error) -> StoreError:
    """A one-line StoreError for an SQLite failure on `path`."""
    msg = one_line(exc)
    low = msg.lower()
    if "malformed" in low or "not a database" in low or "corrupt" in low:
        return StoreError(
            f"{path} is corrupt (sqlite: {msg}); restore it from a copy or generate into"
            " another --out"
        )
    if "readonly" in low or "read-only" in low:
        return StoreError(f"cannot write {path} (sqlite: {msg}); is the run directory read-only?")
    if "locked" in low or "busy" in low:
        return StoreError(f"{path} is locked by another process (sqlite: {msg})")
    return StoreError(f"{path}: sqlite error ({msg})")


def check_file(path: Path) -> None:
    """Judge `path` from its bytes alone (creates and changes nothing)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise StoreError(f"{path.parent} is not a synloom run (no {path.name})") from None
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise StoreError(f"{path} is not a synloom run store (not a regular file)")
    if st.st_size == 0:
        raise StoreError(
            f"{path} is empty, not a synloom run; remove it or use another run directory"
        )
    try:
        with open(path, "rb") as fh:
            header = fh.read(100)
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not header.startswith(SQLITE_HEADER):
        raise StoreError(f"{path} is not a synloom run store (not an SQLite database)")
    if len(header) < 100:
        raise StoreError(f"{path} is corrupt (truncated to {len(header)} bytes)")


def _uri(path: Path, query: str) -> str:
    return f"{path.absolute().as_uri()}?{query}"


def connect_reader(path: Path) -> sqlite3.Connection:
    """A read-only connection to a checked store (see the module docstring)."""
    check_file(path)
    has_log = sidecar(path, "-wal").exists()
    query = "mode=ro" if has_log else "mode=ro&immutable=1"
    try:
        return _open(path, query, timeout=10, setup=None)
    except sqlite3.OperationalError as exc:
        if has_log and "unable to open" in str(exc):
            raise StoreError(
                f"cannot read {path}: it has an unfinished write-ahead log ({path.name}-wal) that"
                " SQLite cannot index here (no writable -shm); copy the run directory somewhere"
                " writable and read the copy"
            ) from None
        raise sqlite_error(path, exc) from None
    except sqlite3.ProgrammingError:
        raise
    except sqlite3.DatabaseError as exc:
        raise sqlite_error(path, exc) from None


def connect_writer(path: Path) -> sqlite3.Connection:
    """A read-write connection to a store; the caller holds the writer lock. A missing store is
    created atomically (built aside, then renamed), so a kill never leaves a half-made one."""
    if not path.exists():
        _create(path)
    check_file(path)
    try:
        return _open(path, "mode=rw", timeout=60, setup=_writer_setup)
    except sqlite3.ProgrammingError:
        raise
    except sqlite3.DatabaseError as exc:
        raise sqlite_error(path, exc) from None


def _writer_setup(db: sqlite3.Connection, path: Path) -> None:
    mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise StoreError(f"cannot write {path}: SQLite refused WAL mode ({mode})")
    db.execute("PRAGMA synchronous=NORMAL")


def _open(path: Path, query: str, *, timeout: float, setup) -> sqlite3.Connection:
    db = sqlite3.connect(_uri(path, query), uri=True, isolation_level=None, timeout=timeout)
    try:
        validate(db, path)
        if setup is not None:
            setup(db, path)
    except BaseException:
        db.close()
        raise
    return db


def _create(path: Path) -> None:
    tmp = path.with_name(CREATING)
    for leftover in (tmp, *(sidecar(tmp, s) for s in ("-wal", "-shm", "-journal"))):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()  # a previous creation killed half way (we hold the lock)
    try:
        db = sqlite3.connect(tmp, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(f"BEGIN IMMEDIATE;\n{DDL}\nCOMMIT;")
        finally:
            db.close()
        os.replace(tmp, path)
    except sqlite3.DatabaseError as exc:
        raise sqlite_error(path, exc) from None
    except OSError as exc:
        raise StoreError(f"cannot create {path}: {exc.strerror or exc}") from None


def validate(db: sqlite3.Connection, path: Path) -> None:
    """StoreError unless `db` holds synloom's schema in a version this code reads."""
    objects = db.execute(
        "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view')"
    ).fetchall()
    tables = {n for n, t in objects if t == "table"}
    views = {n for n, t in objects if t == "view"}
    missing = sorted((TABLES - tables) | (VIEWS - views))
    if missing:
        if not objects:
            what = "with no tables"
        elif not (TABLES | VIEWS) - set(missing):
            what = "without synloom's tables"
        else:
            what = f"without synloom's {', '.join(missing)}"
        raise StoreError(f"{path} is not a synloom run store (an SQLite database {what})")
    row = db.execute("SELECT value FROM manifest WHERE key = 'schema_version'").fetchone()
    if row is None:
        # A new store has the tables and an empty manifest until its writer records the spec
        # (with the schema_version); it is ours and holds nothing yet.
        if db.execute("SELECT COUNT(*) FROM manifest").fetchone()[0]:
            raise StoreError(f"{path} is not a synloom run store (no schema_version)")
    else:
        try:
            version = json.loads(row[0])
        except (TypeError, ValueError):
            version = None
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise StoreError(f"{path} is not a synloom run store (schema_version {row[0]!r})")
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{path} was written by a newer synloom (schema {version}; this version reads"
                f" up to {SCHEMA_VERSION}); upgrade synloom"
            )
    size = sum(p.stat().st_size for p in (path, sidecar(path, "-wal")) if p.is_file())
    if size <= QUICK_CHECK_MAX_BYTES:
        problems = [r[0] for r in db.execute("PRAGMA quick_check(3)").fetchall()]
        if problems != ["ok"]:
            raise StoreError(
                f"{path} is corrupt (sqlite quick_check: {one_line(Exception(problems[0]))});"
                " restore it from a copy or generate into another --out"
            )
