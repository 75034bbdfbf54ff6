"""Scores one curation can take from another instead of computing them again.

A per-sample method's score of a sample depends only on that sample, the method's options and
what the curation's settings pin beside them (the seed, the real seed data): not on the other
samples scored with it (`MethodInfo.per_sample`). So when another curation of the same run has
scored a sample with the same method under the same options, seed and seed data, its stored
score (and details, such as the judge's raw answer) is that sample's score here too. `margin`
then `margin+sungen` then `margin+cartography` score the generator's margins once, which on a
pool of 4,000 samples is minutes of the generator each. Methods that see all samples at once
(cartography, sungen) are never taken: their scores depend on the whole pool.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    from synloom.store import RunStore

# the settings that, beside the method's own options, a per-sample score depends on
PINNED = ("seed", "seed_data")


def same_scoring(mine: dict[str, Any], other: dict[str, Any], method: str) -> bool:
    """Would `other`'s curation score a sample with `method` exactly as `mine` does?"""
    if method not in other.get("methods", ()):
        return False
    if other.get("options", {}).get(method) != mine["options"][method]:
        return False
    return all(other.get(key) == mine.get(key) for key in PINNED)


def reuse_scores(
    store: RunStore, name: str, settings: dict[str, Any], method: str, ids: Sequence[str]
) -> dict[str, Any]:
    """Copy into curation `name` the scores of `method` for `ids` that other curations of the run
    stored under the same scoring (oldest curation first) and `name` lacks; returns what the
    step's summary records of it ({} when nothing was taken)."""
    have = store.method_scores(name, method)
    wanted = [sid for sid in ids if sid not in have]
    taken: dict[str, int] = {}
    for other in store.curation_names():
        if not wanted:
            break
        record = store.curation(other)
        if other == name or record is None or not same_scoring(settings, record.settings, method):
            continue
        stored = store.method_scores(other, method)
        rows = [(sid, *stored[sid]) for sid in wanted if sid in stored]
        if rows:
            store.put_method_scores(name, method, rows)
            taken[other] = len(rows)
            wanted = [sid for sid in wanted if sid not in stored]
    return {"scores_taken_from": taken} if taken else {}


def taken_summary(store: RunStore, taken: dict[str, Any], method: str) -> dict[str, Any]:
    """The step summary of `method` in the first curation scores were taken from (for a step
    that computed nothing itself), with the record of what was taken."""
    for other in taken.get("scores_taken_from", {}):
        for step_method, summary in store.finished_steps(other).values():
            if step_method == method:
                return summary | taken
    return dict(taken)
