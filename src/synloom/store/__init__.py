"""The run store: one SQLite file per run directory; nothing generated is ever lost."""

from __future__ import annotations

from synloom.store.lock import LOCK_FILE
from synloom.store.run import Run, open_run
from synloom.store.run_store import STORE_FILE, Output, PlannedRequest, RunStore, Sample
from synloom.store.schema import OutputStatus, RequestStatus

__all__ = [
    "LOCK_FILE",
    "STORE_FILE",
    "Output",
    "OutputStatus",
    "PlannedRequest",
    "RequestStatus",
    "Run",
    "RunStore",
    "Sample",
    "open_run",
]
