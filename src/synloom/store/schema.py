"""SQLite schema of a run. Requests are written before they are sent, outcomes after.

The statuses are `StrEnum`s whose values are the strings stored in the `status` columns, so code
compares and binds them like the strings and stores written before they existed read the same.
"""

from __future__ import annotations

from enum import StrEnum

SCHEMA_VERSION = 1

# `requests.batch_seed` is a column no code reads (local backends seed a batch with its first
# request's seed); kept so stores written before stay valid, and written as this constant.
UNUSED_BATCH_SEED = 0


class RequestStatus(StrEnum):
    """A request's life: planned (in the plan), sent (at least once), done (an output row
    exists) or failed (with its error)."""

    PLANNED = "planned"
    SENT = "sent"
    DONE = "done"
    FAILED = "failed"


UNFINISHED = (RequestStatus.PLANNED, RequestStatus.SENT)  # what a rerun sends again
FINISHED = (RequestStatus.DONE, RequestStatus.FAILED)


class OutputStatus(StrEnum):
    """An output: a parsed candidate until its round is finalized, then accepted or rejected
    (with a reason); rejected at once when it cannot be parsed."""

    CANDIDATE = "candidate"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


DDL = f"""
CREATE TABLE IF NOT EXISTS manifest (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rounds (
    stage TEXT NOT NULL, round INTEGER NOT NULL, planned INTEGER NOT NULL,
    finalized INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (stage, round)
);
CREATE TABLE IF NOT EXISTS requests (
    id TEXT PRIMARY KEY,
    stage TEXT NOT NULL, round INTEGER NOT NULL, idx INTEGER NOT NULL, batch INTEGER NOT NULL,
    label TEXT, prompt TEXT NOT NULL, context TEXT, meta TEXT NOT NULL, params TEXT NOT NULL,
    seed INTEGER NOT NULL, batch_seed INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT '{RequestStatus.PLANNED}', attempts INTEGER NOT NULL DEFAULT 0, error TEXT,
    created_at REAL NOT NULL, sent_at REAL, finished_at REAL,
    UNIQUE (stage, round, idx)
);
CREATE INDEX IF NOT EXISTS requests_status ON requests (stage, round, status);
CREATE TABLE IF NOT EXISTS outputs (
    request_id TEXT PRIMARY KEY REFERENCES requests (id),
    raw_text TEXT NOT NULL, completion TEXT NOT NULL, finish_reason TEXT NOT NULL,
    n_tokens INTEGER NOT NULL, status TEXT NOT NULL, reason TEXT, detail TEXT,
    text TEXT, text_b TEXT, dup_of TEXT, created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS outputs_status ON outputs (status);
CREATE TABLE IF NOT EXISTS scores (
    name TEXT PRIMARY KEY, value TEXT NOT NULL, created_at REAL NOT NULL
);
CREATE VIEW IF NOT EXISTS accepted AS
    SELECT r.id, r.stage, r.label, o.text, o.text_b, r.context, r.meta, r.round, r.idx
    FROM outputs o JOIN requests r ON r.id = o.request_id WHERE o.status = '{OutputStatus.ACCEPTED}';
CREATE VIEW IF NOT EXISTS rejected AS
    SELECT r.id, r.stage, r.label, o.reason, o.detail, o.raw_text, o.completion, o.dup_of,
           r.round, r.idx
    FROM outputs o JOIN requests r ON r.id = o.request_id WHERE o.status = '{OutputStatus.REJECTED}';
CREATE VIEW IF NOT EXISTS failed AS
    SELECT id, stage, label, error, attempts, round, idx FROM requests WHERE status = '{RequestStatus.FAILED}';
"""
