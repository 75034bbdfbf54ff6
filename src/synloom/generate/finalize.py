"""Round finalization in plan order: exact dedup, near-duplicate filter, per-label budget cap."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from synloom.prompts import normalize_text

if TYPE_CHECKING:
    from synloom.recipes import StagePlan
    from synloom.recipes.base import CandidateFilter
    from synloom.spec import TaskSpec
    from synloom.store import RunStore


class FinalizeReason(StrEnum):
    """Why finalizing rejects a parsed candidate (parse failures have their own reasons)."""

    DUPLICATE = "duplicate"
    OVER_BUDGET = "over_budget"
    NEAR_DUPLICATE = "near_duplicate"


def dedup_key(text: str, text_b: str | None) -> str:
    return (
        normalize_text(text)
        if text_b is None
        else f"{normalize_text(text)}\x1f{normalize_text(text_b)}"
    )


def _near_dup_index(spec: TaskSpec):
    threshold = spec.generation.near_duplicate_threshold
    if threshold is None:
        return None
    from synloom.generate.near_dup import NearDuplicateIndex

    return NearDuplicateIndex(threshold=threshold)


def finalize_round(
    spec: TaskSpec,
    store: RunStore,
    stage: StagePlan,
    rnd: int,
    check: CandidateFilter | None = None,
) -> None:
    """Turn a round's candidates into accepted or rejected rows; deterministic given the store.
    `check` (the recipe's `candidate_filter`) runs after exact dedup and the budget cap."""
    accepted = store.accepted(stage.name)
    seen: dict[str, str] = {}
    per_label: dict[str | None, int] = {}
    near = _near_dup_index(spec)
    for s in accepted:
        seen.setdefault(dedup_key(s.text, s.text_b), s.id)
        per_label[s.label] = per_label.get(s.label, 0) + 1
        if near is not None:
            near.add_if_new(s.id, s.text_b or s.text)
    with store.transaction():
        for req_id, label, text, text_b in store.candidates(stage.name, rnd):
            key = dedup_key(text, text_b)
            if key in seen:
                store.reject(req_id, FinalizeReason.DUPLICATE, dup_of=seen[key])
                continue
            if per_label.get(label, 0) >= stage.budget:
                store.reject(
                    req_id, FinalizeReason.OVER_BUDGET, f"label already has {stage.budget}"
                )
                continue
            if check is not None and (verdict := check.reject(text)) is not None:
                store.reject(req_id, verdict[0], verdict[1])
                continue
            if near is not None:
                hit = near.add_if_new(req_id, text_b or text)
                if hit is not None:
                    store.reject(req_id, FinalizeReason.NEAR_DUPLICATE, dup_of=hit)
                    continue
            seen[key] = req_id
            per_label[label] = per_label.get(label, 0) + 1
            if check is not None:
                check.admit(text)
            store.accept(req_id)
        store.finalize_round(stage.name, rnd)


def with_surplus(counts: dict[str, int], reasons: dict[str, int]) -> dict[str, int]:
    """The store's request counts with `over_budget` outputs (valid samples past a label's
    budget, not failures) moved out of `rejected` into `surplus`: accepted + surplus + rejected +
    failed + unfinished = planned. The generate summary and the report count the same way."""
    surplus = reasons.get(FinalizeReason.OVER_BUDGET.value, 0)
    return dict(counts) | {"surplus": surplus, "rejected": counts.get("rejected", 0) - surplus}
