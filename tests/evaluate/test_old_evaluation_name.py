"""A run evaluated before evaluations were kept side by side holds a single `evaluation.json`
(`evaluation-CURATION.json` for a curation's): `synloom inspect` lists it under a name, and
`synloom report --evaluation NAME` opens that name. Real SST-2 sentences, TF-IDF task model."""

from __future__ import annotations

import json

import pytest

from synloom.curate.pipeline import SizeTarget
from synloom.curate.runner import curate_run
from synloom.curate.settings import CurationRequest
from synloom.evaluate.table import evaluate_run
from synloom.store import open_run
from synloom.store.artifacts import evaluation_file, write_evaluation
from synloom.train.data import LabeledData
from tests.helpers import run_cli


@pytest.fixture()
def test_rows(tmp_path, datasets_dir):
    """60 real SST-2 test sentences as a JSONL test file."""
    rows = LabeledData.from_jsonl(datasets_dir / "sst2/test.jsonl").subset(range(60))
    path = tmp_path / "test.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows.to_records()))
    return path


def write_old_evaluation(run_dir, test_path, seeds, curation=None):
    """An evaluation written as synloom wrote it before: only the latest file, nothing kept."""
    old = evaluate_run(
        run_dir, test_path, tam="tfidf", prompting=False, save=False, seeds=seeds, curation=curation
    )
    write_evaluation(run_dir / evaluation_file(curation), old.artifact())


def test_inspect_lists_an_old_evaluation_under_a_name_report_opens(sst2_run, test_rows):
    curate_run(sst2_run, CurationRequest(("random",), SizeTarget(keep=0.5), name="half"))
    write_old_evaluation(sst2_run, test_rows, (7,))
    write_old_evaluation(sst2_run, test_rows, (8,), curation="half")
    assert not (sst2_run / "evaluations").exists()

    listed = run_cli("inspect", sst2_run, "--json")
    assert listed.returncode == 0, listed.stderr
    names = {e["name"]: e["curation"] for e in json.loads(listed.stdout)["evaluations"]}
    assert set(names.values()) == {None, "half"}, names
    plain = next(n for n, c in names.items() if c is None)
    curated = next(n for n, c in names.items() if c == "half")
    shown = run_cli("inspect", sst2_run, "--show", "0")
    assert plain in shown.stdout and curated in shown.stdout, shown.stdout

    # the listed names open, in the Python API and on the command line
    assert open_run(sst2_run, evaluation=plain).evaluation.rows[0].seeds == [7]
    view = open_run(sst2_run, curation="half", evaluation=curated)
    assert view.evaluation.rows[0].seeds == [8]
    out = sst2_run.parent / "report.html"
    report = run_cli("report", sst2_run, "--evaluation", plain, "--out", out)
    assert report.returncode == 0, report.stderr
    assert out.read_text("utf-8").startswith("<!DOCTYPE html>")
    curated_out = sst2_run.parent / "half.html"
    report = run_cli(
        "report", sst2_run, "--curation", "half", "--evaluation", curated, "--out", curated_out
    )
    assert report.returncode == 0, report.stderr
