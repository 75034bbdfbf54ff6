"""Why a stage stops short of its budget, decided from what the store holds (so a resumed run
makes the decisions an uninterrupted one made): the request cap, a round that accepted nothing,
a failure every request shared, `max_rounds`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from synloom.store.schema import RequestStatus

if TYPE_CHECKING:
    from synloom.store import RunStore

ZERO_ROUND_MIN = 8  # a round this large that accepts nothing is a spec or model problem, not luck
REASON_CHARS = 240  # errors quoted in a stop reason are cut to this length


@dataclass(frozen=True)
class Stop:
    """A stage ended before its budget was met. `resumable`: requests were left unfinished and a
    rerun of the same command sends them."""

    reason: str
    resumable: bool = False


def one_line(text: str, limit: int = REASON_CHARS) -> str:
    """`text` with runs of whitespace (newlines included) collapsed, cut to `limit` characters."""
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def round_size(store: RunStore, stage: str, rnd: int) -> int:
    row = store.db.execute(
        "SELECT planned FROM rounds WHERE stage = ? AND round = ?", (stage, rnd)
    ).fetchone()
    return int(row[0]) if row else 0


def round_stop(store: RunStore, stage: str, rnd: int, *, failures_stop: bool = True) -> Stop | None:
    """A finalized round that accepted nothing stops its stage: every request failed (any size;
    only when `failures_stop`, i.e. in the command that sent the round — a rerun retries), or at
    least `ZERO_ROUND_MIN` requests were all rejected or failed."""
    db = store.db
    accepted = db.execute(
        "SELECT COUNT(*) FROM accepted WHERE stage = ? AND round = ?", (stage, rnd)
    ).fetchone()[0]
    if accepted:
        return None
    planned, failed = db.execute(
        "SELECT COUNT(*), COALESCE(SUM(status = ?), 0) FROM requests WHERE stage = ? AND round = ?",
        (RequestStatus.FAILED, stage, rnd),
    ).fetchone()
    if planned and failed == planned:
        if not failures_stop:
            return None
        (error,) = db.execute(
            "SELECT error FROM failed WHERE stage = ? AND round = ? ORDER BY idx LIMIT 1",
            (stage, rnd),
        ).fetchone()
        return Stop(
            f"every request of round {rnd} failed, the first with: {one_line(error)}",
            resumable=True,
        )
    if planned < ZERO_ROUND_MIN:
        return None
    reasons = db.execute(
        "SELECT reason, COUNT(*) FROM rejected WHERE stage = ? AND round = ? GROUP BY reason"
        " ORDER BY COUNT(*) DESC, reason LIMIT 4",
        (stage, rnd),
    ).fetchall()
    why = ", ".join(f"{reason} {n}" for reason, n in reasons)
    return Stop(
        f"round {rnd} accepted nothing of {planned} requests ({planned - failed} rejected: {why};"
        f" {failed} failed); check the recipe's filters (min_words, max_words) and the model"
    )
