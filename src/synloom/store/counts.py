"""The counting queries of `RunStore` (a mixin: uses its `db` and `path`): requests and outputs
per status, accepted samples per label, rejection reasons, the stages a run planned, and the
per-label acceptance the engine plans from."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

from synloom.store.guards import reading
from synloom.store.schema import FINISHED, UNFINISHED, OutputStatus, RequestStatus

_IN_FINISHED = "(" + ", ".join(f"'{s}'" for s in FINISHED) + ")"  # SQL: status IN ...


class CountsStore:
    """Aggregate reads over a run store's requests and outputs."""

    db: sqlite3.Connection
    path: Path

    @reading
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
            "done": req[RequestStatus.DONE],
            "failed": req[RequestStatus.FAILED],
            "unfinished": sum(req[s] for s in UNFINISHED),
            "accepted": out[OutputStatus.ACCEPTED],
            "rejected": out[OutputStatus.REJECTED],
            "candidate": out[OutputStatus.CANDIDATE],
        }

    @reading
    def stage_names(self) -> list[str]:
        """The stages that planned requests, in the order they first did."""
        rows = self.db.execute(
            "SELECT stage FROM requests GROUP BY stage ORDER BY MIN(created_at), stage"
        ).fetchall()
        return [r[0] for r in rows]

    @reading
    def label_counts(self, stage: str = "sample") -> dict[str, int]:
        return dict(
            self.db.execute(
                "SELECT label, COUNT(*) FROM accepted WHERE stage = ? GROUP BY label ORDER BY label",
                (stage,),
            ).fetchall()
        )

    @reading
    def rejection_reasons(self, stage: str = "sample") -> dict[str, int]:
        return dict(
            self.db.execute(
                "SELECT reason, COUNT(*) FROM rejected WHERE stage = ? GROUP BY reason"
                " ORDER BY COUNT(*) DESC",
                (stage,),
            ).fetchall()
        )

    @reading
    def label_stats(self, stage: str, labels: list[str]) -> dict[str, tuple[int, int]]:
        """Per label: (accepted, finished requests) over finalized rounds."""
        acc = dict(
            self.db.execute(
                "SELECT label, COUNT(*) FROM accepted WHERE stage = ? GROUP BY label", (stage,)
            ).fetchall()
        )
        done = dict(
            self.db.execute(
                f"SELECT label, COUNT(*) FROM requests WHERE stage = ? AND status IN {_IN_FINISHED}"
                " GROUP BY label",
                (stage,),
            ).fetchall()
        )
        return {lab: (acc.get(lab, 0), done.get(lab, 0)) for lab in labels}
