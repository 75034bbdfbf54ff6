"""The run store: one SQLite file per run directory; nothing generated is ever lost."""

from __future__ import annotations

from synloom.store.lock import LOCK_FILE
from synloom.store.run_store import STORE_FILE, PlannedRequest, RunStore, Sample

__all__ = ["LOCK_FILE", "STORE_FILE", "PlannedRequest", "RunStore", "Sample"]
