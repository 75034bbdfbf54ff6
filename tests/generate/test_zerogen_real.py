"""The default ZeroGen recipe (examples/sst2.yaml: movie names, then reviews of them) end to end
with the real embedded model, at a tiny budget: both stages run, every request is accounted for in
the store, and both labels get samples written about generated movie names."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from synloom.generate import run_generation
from synloom.recipes import CONTEXT_STAGE
from synloom.spec import parse_spec
from synloom.store import RunStore

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sst2.yaml"

pytestmark = pytest.mark.slow


def _accounted(counts: dict) -> None:
    assert counts["accepted"] + counts["rejected"] + counts["failed"] == counts["planned"]
    assert counts["unfinished"] == 0 and counts["failed"] == 0


def test_sst2_example_runs_both_stages_with_the_embedded_model(tmp_path):
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    assert data["recipe"]["type"] == "zerogen" and data["backend"]["model"] == "embedded"
    data["recipe"]["context_stage"]["count"] = 4
    data["generation"] |= {"samples_per_label": 6, "batch_size": 6, "max_new_tokens": 32}
    data["backend"]["device"] = "cpu"
    spec = parse_spec(data, str(EXAMPLE), EXAMPLE.parent)

    summary = run_generation(spec, tmp_path / "run")

    with RunStore(tmp_path / "run") as store:
        context_counts, sample_counts = store.counts(CONTEXT_STAGE), store.counts()
        movies = {c.text for c in store.accepted(CONTEXT_STAGE)}
        samples = store.accepted()
        requests = store.db.execute(
            "SELECT stage, COUNT(*) FROM requests GROUP BY stage"
        ).fetchall()
    _accounted(context_counts)
    _accounted(sample_counts)
    assert dict(requests) == {
        CONTEXT_STAGE: context_counts["planned"],
        "sample": sample_counts["planned"],
    }
    assert 1 <= len(movies) <= 4
    assert {k: summary.counts[k] for k in ("accepted", "rejected", "failed", "planned")} == {
        k: sample_counts[k] for k in ("accepted", "rejected", "failed", "planned")
    }
    # both labels, within the budget, each a review of one of the generated movie names
    per_label = {lab: sum(s.label == lab for s in samples) for lab in ("positive", "negative")}
    assert per_label == summary.label_counts
    assert all(1 <= n <= 6 for n in per_label.values()), per_label
    assert all(s.meta.get("context") in movies for s in samples)
    assert all(len(s.text.split()) >= 4 for s in samples)
