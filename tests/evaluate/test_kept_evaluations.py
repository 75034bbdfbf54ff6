"""Evaluations kept side by side: `synloom evaluate` never overwrites an earlier evaluation (each
is `evaluations/NAME.json`, named or timed), `evaluation.json` is the latest, which `report` reads
unless a name is chosen, `synloom inspect` lists them, and a run evaluated before this keeps its
single `evaluation.json`. Real SST-2 sentences, TF-IDF task model (no generator loaded)."""

from __future__ import annotations

import json

import pytest

from synloom.curate.pipeline import SizeTarget
from synloom.curate.runner import curate_run
from synloom.curate.settings import CurationRequest
from synloom.errors import StoreError, SynloomError
from synloom.evaluate.table import EVALUATION_FILE, evaluate_run
from synloom.report.data import collect_report_data
from synloom.store import open_run
from synloom.store.artifacts import EVALUATIONS_DIR, list_evaluations, write_evaluation
from synloom.train.data import LabeledData
from tests.helpers import run_cli


@pytest.fixture()
def test_file(tmp_path, datasets_dir):
    rows = LabeledData.from_jsonl(datasets_dir / "sst2/test.jsonl").subset(range(60))
    path = tmp_path / "test.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows.to_records()))
    return path


def evaluate(run_dir, test_file, **kwargs):
    return evaluate_run(run_dir, test_file, tam="tfidf", prompting=False, **kwargs)


def test_two_evaluations_are_kept_and_the_latest_is_the_default(sst2_run, test_file):
    first = evaluate(sst2_run, test_file, name="first", seeds=(0,))
    second = evaluate(sst2_run, test_file, seeds=(1, 2))
    assert first.name == "first" and second.name not in (None, "first")

    folder = sst2_run / EVALUATIONS_DIR
    assert sorted(p.stem for p in folder.glob("*.json")) == sorted(["first", second.name])
    kept_first = json.loads((folder / "first.json").read_text())
    assert kept_first["name"] == "first" and kept_first["rows"][0]["seeds"] == [0]
    latest = (sst2_run / EVALUATION_FILE).read_text()
    assert latest == (folder / f"{second.name}.json").read_text()

    assert open_run(sst2_run).evaluation.name == second.name  # the latest by default
    assert open_run(sst2_run, evaluation="first").evaluation.rows[0].seeds == [0]
    assert collect_report_data(sst2_run, evaluation="first").evaluation.name == "first"
    with pytest.raises(StoreError, match=r"no evaluation named 'nope' \(it has: first, "):
        open_run(sst2_run, evaluation="nope")

    listed = list_evaluations(sst2_run)
    assert [(e.name, e.latest) for e in listed] == [("first", False), (second.name, True)]

    # a name in use is refused before any work; --replace overwrites that one only
    with pytest.raises(SynloomError, match="already has an evaluation named 'first'"):
        evaluate(sst2_run, test_file, name="first", seeds=(3,))
    assert json.loads((folder / "first.json").read_text())["rows"][0]["seeds"] == [0]
    evaluate(sst2_run, test_file, name="first", seeds=(3,), replace_name=True)
    assert json.loads((folder / "first.json").read_text())["rows"][0]["seeds"] == [3]
    assert len(list(folder.glob("*.json"))) == 2


def test_a_run_with_a_single_old_evaluation_keeps_it(sst2_run, test_file):
    old = evaluate(sst2_run, test_file, save=False, seeds=(7,))
    write_evaluation(sst2_run / EVALUATION_FILE, old.artifact())  # as synloom wrote it before
    before = (sst2_run / EVALUATION_FILE).read_text()
    assert open_run(sst2_run).evaluation.rows[0].seeds == [7]
    assert [(e.name, e.latest) for e in list_evaluations(sst2_run)] == [(EVALUATION_FILE, True)]

    new = evaluate(sst2_run, test_file, name="new")

    kept = [p for p in (sst2_run / EVALUATIONS_DIR).glob("*.json") if p.stem != "new"]
    assert len(kept) == 1 and kept[0].name.startswith("evaluation-")
    assert kept[0].read_text() == before  # the old evaluation, byte for byte
    assert open_run(sst2_run).evaluation.name == new.name == "new"
    assert [e.latest for e in list_evaluations(sst2_run)] == [False, True]


def test_curated_evaluations_are_kept_beside_the_uncurated(sst2_run, test_file):
    curate_run(sst2_run, CurationRequest(("random",), SizeTarget(keep=0.5), name="half"))
    plain = evaluate(sst2_run, test_file)
    curated = evaluate(sst2_run, test_file, curation="half")
    assert curated.name.startswith("half-")
    assert (sst2_run / "evaluation-half.json").read_text() == (
        sst2_run / EVALUATIONS_DIR / f"{curated.name}.json"
    ).read_text()
    assert open_run(sst2_run).evaluation.name == plain.name
    assert open_run(sst2_run, curation="half").evaluation.curation == "half"
    assert all(e.latest for e in list_evaluations(sst2_run))  # each the latest of its data
    with pytest.raises(StoreError, match="was made on all samples, not on curation 'half'"):
        _ = open_run(sst2_run, curation="half", evaluation=plain.name).evaluation


@pytest.mark.slow  # seven CLI processes, about 30 s
def test_cli_names_lists_and_refuses_in_one_line(sst2_run, test_file):
    args = ("evaluate", sst2_run, "--test", test_file, "--tam", "tfidf", "--no-prompting")
    named = run_cli(*args, "--name", "baseline")
    assert named.returncode == 0, named.stderr
    assert f"{EVALUATIONS_DIR}/baseline.json" in named.stdout.replace("\n", "")
    timed = run_cli(*args)
    assert timed.returncode == 0, timed.stderr
    again = run_cli(*args, "--name", "baseline")
    assert again.returncode == 2 and again.stderr.count("\n") == 1
    assert "already has an evaluation named 'baseline'" in again.stderr
    bad = run_cli(*args, "--name", "../x")
    assert bad.returncode == 2 and "bad evaluation name" in bad.stderr

    shown = run_cli("inspect", sst2_run, "--show", "0")
    assert shown.returncode == 0, shown.stderr
    assert "evaluations" in shown.stdout and "baseline" in shown.stdout
    timed_name = next(e.name for e in list_evaluations(sst2_run) if e.name != "baseline")
    assert timed_name in shown.stdout
    report = run_cli(
        "report", sst2_run, "--evaluation", "baseline", "--out", sst2_run.parent / "r.html"
    )
    assert report.returncode == 0, report.stderr
    missing = run_cli("report", sst2_run, "--evaluation", "nope")
    assert missing.returncode == 2 and "no evaluation named 'nope'" in missing.stderr
    # an export or report never writes over a kept evaluation
    clobber = run_cli("report", sst2_run, "--out", sst2_run / EVALUATIONS_DIR / "baseline.json")
    assert clobber.returncode == 2 and "a file synloom keeps" in clobber.stderr
