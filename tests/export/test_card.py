"""The dataset card written with every export: Hugging Face front matter, and provenance that
equals the run's manifest and store (checked field by field), the three-way evaluation and the
quality scores when the run has them, a curation and the citations of the methods used."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime

import pytest

from synloom.report.card import read_card
from synloom.store import RunStore, open_run
from tests.helpers import run_cli
from tests.report.runs import write_reference
from tests.store.export_runs import LABELS, make_export_run


@pytest.fixture(scope="module")
def made(tmp_path_factory, datasets_dir):
    return make_export_run(tmp_path_factory.mktemp("card") / "run", datasets_dir)


@pytest.fixture
def run(made, tmp_path):
    shutil.copytree(made, tmp_path / "run")
    return tmp_path / "run"


def _export_card(run_dir, *args):
    result = run_cli("export", run_dir, *args)
    assert result.returncode == 0, result.stderr
    return result


def test_card_provenance_equals_the_manifest_and_the_store(run):
    result = _export_card(run)
    card = run / "samples.jsonl.README.md"
    assert f"card: {card}" in result.stdout
    meta, body = read_card(card)
    with RunStore(run) as store:
        manifest, counts, reasons = store.manifest(), store.counts(), store.rejection_reasons()
        per_label = store.label_counts()
    spec = manifest["spec"]
    block = meta["synloom"]
    assert block["spec_hash"] == manifest["spec_hash"] and block["spec_hash"]
    assert block["hash_version"] == manifest["hash_version"]
    assert block["seed"] == manifest["seed"] == 3
    assert block["versions"] == manifest["versions"]
    assert block["synloom_version"] == manifest["versions"]["synloom"]
    created = datetime.fromtimestamp(manifest["created_at"], UTC).isoformat(timespec="seconds")
    assert block["created_at"] == created
    assert block["spec_name"] == spec["name"] == meta["pretty_name"]
    assert block["task"] == spec["task"] and block["labels"] == LABELS
    assert block["generator"]["backend"] == spec["backend"]["type"]
    assert block["generator"]["model"] == spec["backend"]["model"]
    # what the backend loaded, as the manifest recorded it when generation started
    (loaded,) = manifest["loaded_backends"]
    at = datetime.fromtimestamp(loaded["at"], UTC).isoformat(timespec="seconds")
    assert block["generator"]["loaded"] == [{"backend": "sentences", "at": at}]
    assert spec["backend"].get("revision") is None and block["generator"]["revision"] is None
    assert "| revision | not recorded |" in body and "| backend used | sentences |" in body
    assert block["recipe"] == spec["recipe"] and block["decoding"] == spec["generation"]
    assert block["seed_data"]["seed_examples"] == len(spec["seed_examples"]) == 2
    c = block["counts"]
    for key in ("planned", "accepted", "rejected", "failed", "unfinished"):
        assert c[key] == counts[key]
    assert c["rejected_by_reason"] == reasons and sum(reasons.values()) == counts["rejected"]
    assert c["accepted_per_label"] == per_label and list(c["accepted_per_label"]) == LABELS
    assert c["exported"] == counts["accepted"] == 24
    assert "quality" not in block and "evaluation" not in block  # the run has neither yet

    # Hugging Face conventions
    assert meta["task_categories"] == ["text-classification"]
    assert meta["size_categories"] == ["n<1K"]
    assert meta["configs"] == [
        {"config_name": "default", "data_files": [{"split": "train", "path": "samples.jsonl"}]}
    ]
    label = next(f for f in meta["dataset_info"]["features"] if f["name"] == "label")
    assert label["dtype"]["class_label"]["names"] == {"0": "positive", "1": "negative"}
    assert meta["dataset_info"]["splits"][0]["num_examples"] == 24

    # the body says it in words: prompt, counts, surplus, citation of the recipe's paper
    assert spec["recipe"]["prompt"] in body
    assert f"{counts['planned']} planned, {counts['accepted']} accepted" in body
    assert "ProGen: Progressive Zero-shot Dataset Generation via In-context Feedback" in body
    if "over_budget" in reasons:
        assert "`over_budget` outputs are valid surplus" in body


def test_card_holds_the_three_way_evaluation_when_the_run_has_one(run, tmp_path, datasets_dir):
    test = write_reference(tmp_path / "test.jsonl", datasets_dir, n=80)
    evaluated = run_cli("evaluate", run, "--test", test, "--tam", "tfidf", "--no-prompting")
    assert evaluated.returncode == 0, evaluated.stderr
    _export_card(run, "-f", "parquet", "--split", "0.25")
    meta, body = read_card(run / "samples.parquet.README.md")
    stored = open_run(run).evaluation
    assert stored is not None
    ev = meta["synloom"]["evaluation"]
    assert [r["setting"] for r in ev["rows"]] == [r.setting for r in stored.rows]
    assert [r["accuracy"] for r in ev["rows"]] == [r.accuracy for r in stored.rows]
    assert [r["n_test"] for r in ev["rows"]] == [r.n_test for r in stored.rows] == [80]
    assert ev["test_source"] == "test.jsonl" and stored.test_source == str(test)  # no local path
    assert "## Evaluation on real data" in body
    assert meta["configs"][0]["data_files"] == [
        {"split": "train", "path": "samples-train.parquet"},
        {"split": "validation", "path": "samples-validation.parquet"},
    ]
    assert [s["num_examples"] for s in meta["dataset_info"]["splits"]] == [18, 6]
    assert meta["synloom"]["export"] == {
        "format": "parquet",
        "rows": "accepted samples",
        "split": 0.25,
        "split_seed": 0,
    }


def test_a_curated_export_names_its_curation_and_cites_its_method(run):
    with RunStore(run, writable=True) as store:
        ids = [s.id for s in store.accepted()]
        store.start_curation("w", {"methods": ["sungen"], "kinds": ["weight"], "weighted": True})
        store.finish_curation(
            "w",
            [(i, k < 10, None if k < 10 else "low", (k + 1) / 30) for k, i in enumerate(ids)],
            {"kept": 10},
        )
    _export_card(run, "--curation", "w")
    rows = [json.loads(ln) for ln in (run / "samples-w.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ids[:10] and "weight" in rows[0]
    meta, body = read_card(run / "samples-w.jsonl.README.md")
    assert meta["synloom"]["curation"]["name"] == "w"
    assert meta["synloom"]["counts"]["exported"] == 10
    assert "Self-Guided Noise-Free Data Generation (SunGen)" in body
    weight = next(f for f in meta["dataset_info"]["features"] if f["name"] == "weight")
    assert weight == {"name": "weight", "dtype": "float64"}


@pytest.mark.slow  # embeds the samples and the reference with the real MiniLM (~30 s)
def test_card_holds_the_quality_scores_when_the_run_has_them(run, tmp_path, datasets_dir):
    from synloom.quality.summary import summarize

    reference = write_reference(tmp_path / "ref.jsonl", datasets_dir, n=60)
    scored = run_cli("score", run, "--reference", reference, "--max-model-samples", "0")
    assert scored.returncode == 0, scored.stderr
    _export_card(run, "-f", "hf")
    meta, body = read_card(run / "hf_dataset" / "README.md")
    stored = open_run(run).scores
    q = meta["synloom"]["quality"]
    want = {r.name: r.value for r in summarize(stored.metrics, stored.skipped) if not r.skipped}
    assert q["metrics"] == pytest.approx(want) and len(want) >= 5
    assert q["n_samples"] == 24 and q["reference"] == "ref.jsonl"
    assert stored.settings.reference == str(reference)  # the card names it, not where it is
    assert "## Quality" in body
    assert "Li et al., A Diversity-Promoting Objective Function" in body  # distinct-n's paper
