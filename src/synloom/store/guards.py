"""Store methods' error boundary: every SQLite or stored-JSON failure leaves a `RunStore` method
(or its transaction) as a one-line StoreError, and writes are refused on a store opened read-only."""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from synloom.errors import StoreError
from synloom.store.connect import sqlite_error

F = TypeVar("F", bound=Callable[..., Any])


def reading(method: F) -> F:
    """Turn SQLite and stored-JSON failures of a store method into one-line StoreErrors."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.ProgrammingError:
            raise
        except sqlite3.DatabaseError as exc:
            raise sqlite_error(self.path, exc) from None
        except json.JSONDecodeError as exc:
            raise StoreError(
                f"{self.path} is corrupt (a stored value is not valid JSON: {exc.msg})"
            ) from None

    return wrapper  # type: ignore[return-value]


def writing(method: F) -> F:
    """`reading`, and refuse on a store opened read-only."""
    guarded = reading(method)

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not self.writable:
            raise StoreError(
                f"{self.path} is open read-only; open it with RunStore(..., writable=True)"
                " to change it"
            )
        return guarded(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


class Transaction:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on an exception), SQLite failures as StoreError."""

    def __init__(self, db: sqlite3.Connection, path: Path):
        self.db = db
        self.path = path

    def __enter__(self) -> sqlite3.Connection:
        self._run("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type, *exc: object) -> None:
        if exc_type is None:
            self._run("COMMIT")
        elif self.db.in_transaction:
            try:
                self.db.execute("ROLLBACK")
            except sqlite3.DatabaseError:
                pass  # the original exception is the one to report

    def _run(self, sql: str) -> None:
        try:
            self.db.execute(sql)
        except sqlite3.ProgrammingError:
            raise
        except sqlite3.DatabaseError as exc:
            raise sqlite_error(self.path, exc) from None
