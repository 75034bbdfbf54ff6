"""Generating through a FewGen adapter raises relabel agreement over the base model's zero-shot
prompts, for real: the embedded SmolLM2-135M, 16 real SST-2 training sentences per label, the
adapter trained with `synloom adapt`'s defaults, 100 samples per label from each generator under
the same zero-shot prompt, and the base generator (never the adapter) judging both pools. This is
benchmarks/adapt.py's SST-2 cell (docs/adapt.md), measured: zero-shot 0.665, FewGen 0.755.

LoRA, prefix and prompt tuning do not raise relabel agreement here (0.580, 0.540, 0.590 in the
same benchmark): their samples come nearer real reviews, which the base model itself labels less
consistently than its own zero-shot samples. FewGen's token-weighted loss is the method made to
keep samples on label, and it does.

About 7 minutes on 2 CPU cores: in the `heavy` lane, which `.ci/run` runs after the default
suite (`pytest -m heavy`)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from synloom.adapt.run import adapt
from synloom.adapt.settings import AdaptSettings
from synloom.generate import run_generation
from synloom.train.data import LabeledData

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from adapt import adapt_spec, relabel
from downstream import draw_seeds

pytestmark = [pytest.mark.slow, pytest.mark.heavy]


@pytest.mark.timeout(2400)  # one test trains, generates twice and judges: 7+ minutes
def test_fewgen_raises_relabel_agreement_over_zero_shot(datasets_dir, tmp_path):
    train = LabeledData.from_jsonl(datasets_dir / "sst2" / "train_sentences.jsonl")
    seeds = draw_seeds(train, 16)
    spec = adapt_spec("sst2", seeds, 100, 64)
    adapter = tmp_path / "fewgen"
    adapt(spec, adapter, AdaptSettings(method="fewgen", seed=0))
    run_generation(spec, tmp_path / "zero-shot")
    run_generation(adapt_spec("sst2", seeds, 100, 64, adapter), tmp_path / "fewgen-run")
    for run in ("zero-shot", "fewgen-run"):
        assert len(LabeledData.from_run(tmp_path / run)) == 200
    base = relabel(tmp_path / "zero-shot")
    tuned = relabel(tmp_path / "fewgen-run")
    # measured: 0.665 -> 0.755 (+0.090); the floor keeps half the gain
    assert tuned >= base + 0.045, (base, tuned)
    assert tuned >= 0.70, tuned
