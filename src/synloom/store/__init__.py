"""The run store: one SQLite file per run directory; nothing generated is ever lost."""

from __future__ import annotations

from synloom.store.run_store import STORE_FILE, PlannedRequest, RunStore, Sample

__all__ = ["STORE_FILE", "PlannedRequest", "RunStore", "Sample"]
