"""Top-up with the real embedded model: a finished 2-per-label few-shot run rerun at 4 per label
keeps its first samples as they were, ends with 4 per label, and the same seed and the same
top-up give the same run twice."""

from __future__ import annotations

import pytest
import yaml

from synloom.backends.registry import load_backend
from synloom.generate import run_generation
from synloom.spec import parse_spec
from synloom.store import RunStore
from synloom.testing.scenarios import fewshot_sentiment_spec

pytestmark = pytest.mark.slow


def spec(per_label: int):
    data = yaml.safe_load(fewshot_sentiment_spec("top-up-real", per_label))
    data["generation"]["max_new_tokens"] = 16
    data["backend"] = {"type": "local", "model": "embedded", "device": "cpu"}
    return parse_spec(data)


def accepted(run_dir):
    with RunStore(run_dir) as store:
        return [(s.id, s.label, s.text) for s in store.accepted()], store.label_counts()


@pytest.mark.heavy  # heavy lane: keeps the default run under 20 min on a float32 CPU
def test_topping_up_a_real_run_keeps_its_samples_and_is_deterministic(tmp_path):
    backend = load_backend(spec(2).backend)
    try:
        runs = []
        for name in ("a", "b"):
            run = tmp_path / name
            assert run_generation(spec(2), run, backend=backend).complete
            first, counts = accepted(run)
            assert counts == {"negative": 2, "positive": 2}
            summary = run_generation(spec(4), run, backend=backend)
            assert summary.complete and summary.budgets == (2, 4)
            samples, counts = accepted(run)
            assert counts == {"negative": 4, "positive": 4}
            assert samples[: len(first)] == first  # the first run's samples, unchanged
            assert len({text for _, _, text in samples}) == 8  # dedup held across the top-up
            runs.append(samples)
        assert runs[0] == runs[1]
    finally:
        backend.close()
