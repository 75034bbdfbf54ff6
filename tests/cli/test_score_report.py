"""`synloom score` and `synloom report` end to end: a generated run, real SST-2 reference data,
the real MiniLM embedder and the embedded LM for perplexity / relabel agreement."""

from __future__ import annotations

import math
import shutil
import time

import pytest

from synloom.quality.inputs import NO_ATTRIBUTES
from synloom.quality.stored import load_scores
from synloom.quality.suite import score_dataset
from synloom.report import SECTION_TITLES
from synloom.store import RunStore
from tests.helpers import run_cli
from tests.report.html_check import parse_page
from tests.report.runs import HOSTILE, make_run, read_rows, write_reference

pytestmark = pytest.mark.slow  # embeds ~260 texts and scores 6 samples with the embedded LM

LM_SAMPLES = 6


@pytest.fixture(scope="module")
def scored(tmp_path_factory, datasets_dir):
    """A run scored once by the CLI against 200 real SST-2 validation sentences."""
    base = tmp_path_factory.mktemp("scored")
    run_dir = make_run(base / "run", datasets_dir)
    reference = write_reference(base / "reference.jsonl", datasets_dir)
    start = time.perf_counter()
    result = run_cli(
        "score", run_dir, "--reference", reference, "--max-model-samples", str(LM_SAMPLES)
    )
    seconds = time.perf_counter() - start
    assert result.returncode == 0, result.stderr
    return {"run": run_dir, "reference": reference, "cli": result, "seconds": seconds}


def _assert_close(stored, direct, where="") -> None:
    if isinstance(direct, dict):
        assert set(stored) == set(direct), where
        for key in direct:
            _assert_close(stored[key], direct[key], f"{where}.{key}")
    elif isinstance(direct, list):
        assert len(stored) == len(direct), where
        for i, (a, b) in enumerate(zip(stored, direct)):
            _assert_close(a, b, f"{where}[{i}]")
    elif isinstance(direct, float):
        assert stored == pytest.approx(direct, rel=1e-6, abs=1e-9), where
    else:
        assert stored == direct, where


def test_score_stores_every_metric_equal_to_a_direct_call(scored):
    run_dir, reference = scored["run"], scored["reference"]
    with RunStore(run_dir) as store:
        stored = load_scores(store)
        samples = store.accepted()
        spec = store.manifest()["spec"]
    print(f"synloom score on {len(samples)} samples took {scored['seconds']:.1f} s")
    metrics = stored["metrics"]
    expected = {
        "distinct_n", "self_bleu", "ingf", "vocabulary_size", "compression_ratio",
        "vendi_ngram", "vendi_embedding", "aps", "oracle_agreement", "mauve",
        "frechet_distance", "length_distance", "label_distance", "leakage_reference", "dcr",
        "leakage_seed", "perplexity", "relabel_agreement",
    }  # fmt: skip
    assert expected <= set(metrics)
    assert stored["skipped"] == {"attribute_diversity": NO_ATTRIBUTES}  # no attributes drawn
    assert 0 < metrics["distinct_n"]["distinct_1"] <= 1
    assert 0 <= metrics["self_bleu"]["self_bleu_4"] <= 1
    assert 0 < metrics["mauve"]["mauve"] <= 1
    assert metrics["perplexity"]["n_scored"] == LM_SAMPLES and metrics["perplexity"]["mean"] > 1
    assert metrics["relabel_agreement"]["n_scored"] == LM_SAMPLES
    assert 0 <= metrics["relabel_agreement"]["agreement"] <= 1
    # The runs copy seed examples (the pools start with them): found as exact leaks.
    seeds = {e["text"] for e in spec["seed_examples"]}
    copies = sum(s.text in seeds for s in samples)
    assert metrics["leakage_seed"]["n_exact"] == copies > 0
    assert stored["n_samples"] == len(samples)
    settings = stored["settings"]
    assert settings["reference"] == str(reference) and settings["n_reference"] == 200
    assert settings["max_model_samples"] == LM_SAMPLES and settings["scorer"] == "embedded"
    plot = stored["plot_data"]
    ref_lengths = plot["lengths"]["reference"]
    assert sum(sum(c.values()) for c in ref_lengths.values()) == 200
    emap = plot["embedding_map"]
    assert len(emap["synthetic"]["x"]) == len(samples) and len(emap["reference"]["x"]) == 200
    assert all(math.isfinite(v) for v in emap["reference"]["y"])

    # The same numbers as calling the suite directly (LM metrics aside: the direct call has none).
    direct = score_dataset(
        [s.text for s in samples],
        [s.label for s in samples],
        reference=read_rows(reference),
        seed_texts=[e["text"] for e in spec["seed_examples"]],
    )
    for name, value in direct["metrics"].items():
        _assert_close(metrics[name], value, name)


def test_score_prints_a_table_with_directions(scored):
    out = scored["cli"].stdout
    for needle in ("distinct_n", "mauve", "perplexity", "↑ better", "↓ better", "saved"):
        assert needle in out, out
    assert "Traceback" not in scored["cli"].stderr


def test_rescoring_without_reference_drops_reference_metrics(scored, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(scored["run"], run_dir)
    result = run_cli("score", run_dir, "--max-model-samples", "0")
    assert result.returncode == 0, result.stderr
    assert "skipped" in result.stdout
    with RunStore(run_dir) as store:
        stored = load_scores(store)
        rows = store.scores()
    assert "mauve" in rows  # the old row stays in the table ...
    assert "mauve" not in stored["metrics"]  # ... but is not part of the latest scoring
    assert stored["skipped"]["mauve"] == "needs reference (real) data"
    assert "--max-model-samples 0" in stored["skipped"]["perplexity"]
    assert stored["plot_data"]["lengths"]["reference"] is None


def test_report_has_every_section_escapes_samples_and_loads_nothing(scored, tmp_path):
    out = tmp_path / "nested" / "r.html"
    result = run_cli("report", scored["run"], "--out", out)
    assert result.returncode == 0, result.stderr
    html = out.read_text("utf-8")
    page = parse_page(html)
    assert page.headings == list(SECTION_TITLES)
    assert page.urls == []
    assert 'src="http' not in html and 'href="http' not in html and "http://" not in html
    assert page.tags.get("script", 0) == 1 and page.tags.get("img", 0) == 0  # the explorer's
    assert page.tags.get("svg", 0) >= 7  # labels, 3 length panels, 2 maps, rejections
    assert "&lt;script&gt;alert(&#x27;synloom&#x27;)&lt;/script&gt;" in html
    assert HOSTILE in "".join(page.text)  # shown as text, exactly
    text = " ".join(page.text)
    assert "distinct_n (mean of n=1..4)" in text and "↑ better" in text
    assert "synloom score" not in text.split("Quality metrics")[1].split("Label balance")[0]
    with RunStore(scored["run"]) as store:
        reasons = store.rejection_reasons()
    for reason in reasons:
        assert reason in text


def test_report_before_scoring_names_the_missing_commands(tmp_path, datasets_dir):
    run_dir = make_run(tmp_path / "run", datasets_dir)
    result = run_cli("report", run_dir)
    assert result.returncode == 0, result.stderr
    page = parse_page((run_dir / "report.html").read_text("utf-8"))
    assert page.headings == list(SECTION_TITLES)
    text = " ".join(page.text)
    assert f"synloom score {run_dir} --reference REAL.jsonl" in text
    assert f"synloom evaluate {run_dir} --test REAL_TEST.jsonl" in text
    assert page.tags.get("svg", 0) >= 4  # label balance, lengths and rejections need no scores


def test_report_shows_the_evaluation_table_and_confusion(scored, tmp_path):
    from synloom.evaluate.table import evaluate_run

    run_dir = tmp_path / "run"
    shutil.copytree(scored["run"], run_dir)
    table = evaluate_run(run_dir, scored["reference"], tam="tfidf", prompting=False)
    run_cli("report", run_dir).check_returncode()
    html = (run_dir / "report.html").read_text("utf-8")
    evaluation = html.split('<section id="evaluation">')[1]
    assert "tam-synthetic" in evaluation and "Confusion matrices" in evaluation
    conf = table.rows[0].details["reports"]["0"]["confusion"]
    for gold, preds in conf.items():
        for n in preds.values():
            assert f">{n:,}</td>" in evaluation, (gold, n)
    assert sum(sum(p.values()) for p in conf.values()) == table.rows[0].n_test


def _one_line_error(result, needle):
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and needle in lines[0], lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def test_bad_inputs_exit_2_with_one_line(tmp_path, datasets_dir):
    _one_line_error(run_cli("score", tmp_path / "nope"), "is not a synloom run")
    _one_line_error(run_cli("report", tmp_path / "nope"), "is not a synloom run")

    empty = tmp_path / "empty"
    with RunStore(empty, create=True) as store:
        store.write_manifest({"spec": {"labels": [{"name": "positive"}, {"name": "negative"}]}})
    _one_line_error(run_cli("score", empty), "0 accepted sample(s)")

    run_dir = make_run(tmp_path / "run", datasets_dir, per_label=4)
    _one_line_error(
        run_cli("score", run_dir, "--reference", tmp_path / "missing.jsonl"), "no such JSONL file"
    )
    bad_json = tmp_path / "bad.jsonl"
    bad_json.write_text('{"text": "fine", "label": "positive"}\n{not json\n')
    _one_line_error(run_cli("score", run_dir, "--reference", bad_json), "bad.jsonl:2: invalid JSON")
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b"\xff\xfe\x00\x81garbage")
    _one_line_error(run_cli("score", run_dir, "--reference", binary), "cannot read reference file")
    no_label = tmp_path / "nolabel.jsonl"
    no_label.write_text('{"text": "fine"}\n')
    _one_line_error(run_cli("score", run_dir, "--reference", no_label), "label")
    _one_line_error(run_cli("report", run_dir, "--out", tmp_path), "cannot write the report")
