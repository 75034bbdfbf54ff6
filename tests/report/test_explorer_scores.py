"""`synloom score`'s per-sample values (perplexity, relabel margin and label of the samples its LM
scored) kept in the store and shown as sortable explorer columns, beside a curation's: on a tiny
run of real SST-2 sentences, the embedded LM and headless Chromium. Also: scores stored before
per-sample values existed still load and report, and a rescoring without the LM drops them."""

from __future__ import annotations

import json
import math
import re

import pytest

from synloom.quality.stored import load_scores, save_scores
from synloom.report import build_report
from synloom.store import RunStore, open_run
from synloom.store.artifacts import PER_SAMPLE, StoredScores
from synloom.testing.records_run import write_records_run
from synloom.train.data import LabeledData
from tests.evaluate.conftest import SST2_SPEC
from tests.helpers import run_cli
from tests.report.chromium import dump_dom, explorer_rows, needs_chromium

N_SAMPLES = 8
LM_SAMPLES = 5  # --max-model-samples: 3 of the 8 rows stay unscored
VERBALIZERS = {"negative": " negative", "positive": " positive"}
# float32: the direct forward passes below compare within 1e-3 (dtype auto may pick bfloat16)
SPEC = SST2_SPEC | {"backend": {"type": "local", "model": "embedded", "dtype": "float32"}}


def _samples(datasets_dir) -> LabeledData:
    pool = LabeledData.from_jsonl(datasets_dir / "sst2/train_sentences.jsonl")
    return pool.subset(range(N_SAMPLES))


@pytest.fixture(scope="module")
def backend():
    from synloom.backends.local import LocalBackend

    model = LocalBackend(dtype="float32")
    yield model
    model.close()


@pytest.fixture(scope="module")
def scored(tmp_path_factory, datasets_dir):
    """The tiny run scored once by the CLI (`--json`), with its stdout parsed."""
    run_dir = write_records_run(
        tmp_path_factory.mktemp("scored") / "run", SPEC, _samples(datasets_dir)
    )
    result = run_cli("score", run_dir, "--max-model-samples", str(LM_SAMPLES), "--json")
    assert result.returncode == 0, result.stderr
    return run_dir, result.stdout


def _continuation_logprobs(backend, prompt: str, continuation: str) -> list[float]:
    """log P(each continuation token | prompt and the tokens before), from one forward pass."""
    import torch

    tok, model = backend.tokenizer, backend.model
    p_ids = tok(prompt)["input_ids"]
    c_ids = tok(continuation, add_special_tokens=False)["input_ids"]
    ids = torch.tensor([p_ids + c_ids], device=model.device)
    with torch.inference_mode():
        logits = model(input_ids=ids).logits.float()
    lp = torch.log_softmax(logits[0, :-1], dim=-1).gather(-1, ids[0, 1:, None])[:, 0]
    return [float(v) for v in lp[len(p_ids) - 1 :].double()]


@pytest.mark.slow  # score (MiniLM + the embedded LM) in a subprocess, the LM again here: ~30 s
def test_score_keeps_each_scored_samples_values_by_id(scored, backend):
    run_dir, stdout = scored
    run = open_run(run_dir)
    scores = run.scores
    texts = {s.id: s.text for s in run.samples}
    labels = {s.id: s.label for s in run.samples}
    perplexity = scores.sample_values("perplexity")
    margin = scores.sample_values("relabel_margin")
    judged = scores.sample_values("relabel_label")
    assert len(perplexity) == LM_SAMPLES and set(perplexity) < set(texts)
    assert set(margin) == set(judged) == set(perplexity)  # the same seeded LM subsample

    for sid, value in perplexity.items():  # a direct forward pass on that sample's own text
        logprobs = _continuation_logprobs(backend, "\n", texts[sid])
        nll = -sum(logprobs) / len(logprobs)
        assert value == pytest.approx(math.exp(nll), rel=1e-3), sid
    for sid in margin:
        prompt = f"Text: {texts[sid]}\nLabel:"
        direct = {
            k: sum(_continuation_logprobs(backend, prompt, v)) for k, v in VERBALIZERS.items()
        }
        other = next(k for k in direct if k != labels[sid])
        assert margin[sid] == pytest.approx(direct[labels[sid]] - direct[other], abs=1e-3), sid
        assert judged[sid] == max(direct, key=direct.get), sid
    # the summaries are of the same values
    assert scores.metrics["perplexity"]["mean"] == pytest.approx(
        sum(perplexity.values()) / LM_SAMPLES, rel=1e-9
    )
    agreement = sum(judged[sid] == labels[sid] for sid in judged) / LM_SAMPLES
    assert scores.metrics["relabel_agreement"]["agreement"] == pytest.approx(agreement)
    assert all((margin[sid] > 0) == (judged[sid] == labels[sid]) for sid in margin)

    data = json.loads(stdout)  # --json counts the values; they stay in the store
    assert data["per_sample"] == dict.fromkeys(
        ("perplexity", "relabel_margin", "relabel_label"), LM_SAMPLES
    )
    assert not any(f'"{sid}"' in stdout for sid in texts)


@pytest.mark.slow  # the embedded LM scores the 8 samples for a likelihood curation: ~15 s
@needs_chromium
def test_the_explorer_sorts_by_the_scored_values_beside_a_curations(scored, backend, tmp_path):
    import shutil

    from synloom.curate.pipeline import SizeTarget
    from synloom.curate.runner import curate_run
    from synloom.curate.settings import CurationRequest

    run_dir = shutil.copytree(scored[0], tmp_path / "run")
    request = CurationRequest(("likelihood",), SizeTarget(per_label=2), name="lm")
    curate_run(run_dir, request, generator=backend)
    scores = open_run(run_dir).scores
    perplexity = scores.sample_values("perplexity")
    margin = scores.sample_values("relabel_margin")
    judged = scores.sample_values("relabel_label")
    with RunStore(run_dir) as store:
        likelihood = {k: v for k, (v, _) in store.method_scores("lm", "likelihood").items()}
        ids = [s.id for s in store.accepted()]

    page = build_report(run_dir)
    html = page.read_text("utf-8")
    heads = re.findall(r'data-key="(s\d)"[^>]*>([^<]*)</button>', html)
    assert heads == [
        ("s0", "perplexity (score)"),
        ("s1", "perplexity (curation lm)"),
        ("s2", "relabel margin"),
    ]
    assert ">LM label</th>" in html
    assert f"synloom score kept them for {LM_SAMPLES} samples" in html

    dom = explorer_rows(dump_dom(page, "#samples?sort=s0"))
    assert dom.root.get("data-ready") == "1"
    unscored = [sid for sid in ids if sid not in perplexity]  # last, in plan order
    assert [r["cells"][1] for r in dom.rows] == sorted(perplexity, key=perplexity.get) + unscored
    for row in dom.rows:
        sid, attrs, cells = row["cells"][1], row["attrs"], row["cells"]
        assert float(attrs["data-s1"]) == pytest.approx(math.exp(-likelihood[sid]), rel=1e-8)
        if sid in perplexity:
            assert float(attrs["data-s0"]) == pytest.approx(perplexity[sid], rel=1e-8)
            assert float(attrs["data-s2"]) == pytest.approx(margin[sid], rel=1e-8, abs=1e-12)
            assert cells[-1] == judged[sid]
        else:
            assert attrs["data-s0"] == attrs["data-s2"] == ""
            assert cells[5] == cells[7] == cells[8] == "—"
    dom = explorer_rows(dump_dom(page, "#samples?sort=-s2"))
    assert [r["cells"][1] for r in dom.rows] == sorted(margin, key=lambda s: -margin[s]) + unscored


def _result(per_sample: dict | None) -> dict:
    out = {
        "n_samples": N_SAMPLES,
        "metrics": {"distinct_n": {"distinct_1": 0.5}},
        "skipped": {},
        "timings_s": {"distinct_n": 0.1},
        "settings": {"seed": 0, "scorer": "embedded"},
        "plot_data": {},
    }
    return out if per_sample is None else out | {"per_sample": per_sample}


def test_scores_without_per_sample_values_load_and_report(tmp_path, datasets_dir):
    run_dir = write_records_run(tmp_path / "run", SPEC, _samples(datasets_dir))
    with RunStore(run_dir) as store:
        ids = [s.id for s in store.accepted()]
    old = StoredScores.from_result(_result(None)).rows()
    del old[PER_SAMPLE]  # as a scoring stored before per-sample values existed
    with RunStore(run_dir, writable=True) as store, store.transaction():
        for name, value in old.items():
            store.put_score(name, value)
    scores = open_run(run_dir).scores
    assert scores.per_sample == {} and scores.sample_values("perplexity") == {}
    with RunStore(run_dir) as store:
        assert "per_sample" not in load_scores(store)
    html = build_report(run_dir).read_text("utf-8")
    assert 'data-key="s0"' not in html and "LM label" not in html
    assert "synloom score keeps the perplexity and relabel margin" in html

    # a scoring with values, then one without the LM: the later one's (none) are what is shown
    kept = {"perplexity": {ids[0]: 12.5, ids[3]: None}, "relabel_label": {ids[0]: "positive"}}
    with RunStore(run_dir, writable=True) as store:
        save_scores(store, _result(kept))
        assert load_scores(store)["per_sample"] == kept
    rows = explorer_rows(build_report(run_dir).read_text("utf-8")).rows
    assert [r["attrs"]["data-s0"] for r in rows[:4]] == ["12.5", "", "", ""]  # None: undefined
    assert [r["cells"][-1] for r in rows[:2]] == ["positive", "—"]
    with RunStore(run_dir, writable=True) as store:
        save_scores(store, _result(None))
    assert open_run(run_dir).scores.per_sample == {}
