"""The Python API re-exported by `synloom` (src/synloom/api.py): what each function accepts and
returns, its one-line errors, and that `synloom.generate`/`evaluate`/`curate` are callable while
staying the subpackages of those names. Generation runs on the deterministic fake backend (an
orchestration stand-in); evaluation uses real SST-2 sentences. The walk-through on the real
embedded model is tests/test_python_api_doc.py."""

from __future__ import annotations

import subprocess
import sys

import pytest

import synloom
from synloom.errors import IncompleteRunError, SpecError, SynloomError
from synloom.spec import TaskSpec
from tests.conftest import ROOT, read_jsonl
from tests.fakes import FakeBackend

SPEC = {
    "name": "api-test",
    "labels": [{"name": "positive"}, {"name": "negative"}],
    "recipe": {"type": "zerogen", "prompt": 'The movie review in {verbalizer} sentiment is: "'},
    "generation": {"samples_per_label": 8, "batch_size": 4, "stop": ['"']},
    "seed": 5,
}


@pytest.fixture(scope="module")
def fake_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("api") / "run"
    return synloom.generate(SPEC, out=out, backend=FakeBackend())


def test_load_spec_reads_a_file_a_dict_or_a_spec():
    from_file = synloom.load_spec(ROOT / "examples" / "sst2_fewshot.yaml")
    assert isinstance(from_file, TaskSpec) and from_file.recipe.type == "fewshot"
    assert synloom.load_spec(from_file) is from_file
    smaller = synloom.load_spec(str(ROOT / "examples" / "sst2_fewshot.yaml"), samples_per_label=5)
    assert smaller.generation.samples_per_label == 5
    assert smaller.model_copy(update={"generation": from_file.generation}) == from_file
    assert synloom.load_spec(SPEC).label_names == ["positive", "negative"]


@pytest.mark.parametrize(
    ("source", "options", "error", "message"),
    [
        (SPEC, {"samples_per_label": -1}, SpecError, "generation.samples_per_label: Input should"),
        (SPEC, {"budget": 3}, SynloomError, "load_spec: unknown option"),
        (42, {}, SynloomError, "load_spec takes a YAML path, a dict or a TaskSpec, not a int"),
        ("no/such/spec.yaml", {}, SpecError, "spec file not found"),
        (SPEC | {"labels": []}, {}, SpecError, "^spec: labels"),
    ],
)
def test_load_spec_errors_are_one_line(source, options, error, message):
    with pytest.raises(error, match=message) as info:
        synloom.load_spec(source, **options)
    assert "\n" not in str(info.value)


def test_generate_returns_the_run_and_its_exports(fake_run):
    assert isinstance(fake_run, synloom.Run)
    assert fake_run.label_counts == {"negative": 8, "positive": 8}
    dataset = fake_run.to_hf()
    assert dataset.features["label"].names == ["positive", "negative"]  # the spec's order
    assert dataset["text"] == [s.text for s in fake_run.samples]
    names = dataset.features["label"].names
    assert [names[i] for i in dataset["label"]] == [s.label for s in fake_run.samples]
    frame = fake_run.to_pandas()
    assert list(frame["label"].cat.categories) == ["positive", "negative"]
    assert frame["label"].astype(str).tolist() == [s.label for s in fake_run.samples]
    rejected = fake_run.to_pandas(rejected=True)
    assert len(rejected) == sum(fake_run.rejection_reasons.values()) + len(fake_run.failed)
    assert len(fake_run.to_hf(rejected=True)) == len(rejected)


def test_generate_again_resumes_without_asking_the_model(fake_run):
    backend = FakeBackend()
    again = synloom.generate(SPEC, out=fake_run.run_dir, backend=backend)
    assert backend.calls == []
    assert again.samples == fake_run.samples


def test_a_short_run_raises_unless_not_strict(tmp_path):
    with pytest.raises(IncompleteRunError, match="budget not met"):
        synloom.generate(SPEC, out=tmp_path / "short", backend=FakeBackend(fail_every=1))
    run = synloom.generate(
        SPEC, out=tmp_path / "short", backend=FakeBackend(fail_every=1), strict=False
    )
    assert run.label_counts == {} and run.failed


def test_generate_refuses_a_file_as_its_run_directory(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(SynloomError, match="exists and is not a directory"):
        synloom.generate(SPEC, out=tmp_path / "file", backend=FakeBackend())


def test_evaluate_takes_dataframes_and_datasets_of_real_data(fake_run, datasets_dir):
    import datasets
    import pandas as pd

    test = pd.DataFrame(read_jsonl(datasets_dir / "sst2" / "test.jsonl")).groupby("label")
    test = test.sample(100, random_state=0)
    gold_rows = read_jsonl(datasets_dir / "sst2" / "train.jsonl", limit=600)
    gold = datasets.Dataset.from_list(gold_rows).class_encode_column("label")  # a ClassLabel
    table = synloom.evaluate(
        fake_run, test, gold_train=gold, prompting=False, save=False, test_name="SST-2 (200)"
    )
    assert [r.setting for r in table.rows] == ["tam-synthetic", "tam-gold"]
    assert table.test_source == "SST-2 (200)"
    assert table.row("tam-gold").n_train == 600 and table.row("tam-gold").n_test == 200
    # tfidf on the first 600 real SST-2 training sentences: measured 0.695 on these 200
    assert table.row("tam-gold").accuracy >= 0.62
    assert synloom.open_run(fake_run.run_dir).evaluation is None  # save=False kept nothing


class Recorder:
    """A `synloom.progress.Progress` that keeps the steps it was told of."""

    def __init__(self) -> None:
        self.begun: list[tuple[str, int | None]] = []
        self.done: dict[int, int] = {}

    def begin(self, description, total, unit):
        self.begun.append((description, total))
        return len(self.begun) - 1

    def advance(self, task, n):
        self.done[task] = self.done.get(task, 0) + n

    def end(self, task):
        pass


def test_evaluate_keeps_a_named_evaluation_and_reports_progress(fake_run, tmp_path, datasets_dir):
    import shutil

    run_dir = shutil.copytree(fake_run.run_dir, tmp_path / "run")  # fake_run stays unevaluated
    test = read_jsonl(datasets_dir / "sst2" / "test.jsonl", limit=60)
    recorder = Recorder()
    table = synloom.evaluate(run_dir, test, prompting=False, name="first", progress=recorder)
    saved = run_dir / "evaluations" / "first.json"
    assert table.name == "first" and saved.is_file()
    kept = synloom.open_run(run_dir, evaluation="first").evaluation
    assert kept is not None and kept.rows[0].accuracy == table.row("tam-synthetic").accuracy
    assert ("evaluation", 1) in recorder.begun  # one model: tam-synthetic, seed 0
    assert recorder.done[recorder.begun.index(("evaluation", 1))] == 1

    with pytest.raises(SynloomError, match="already has an evaluation named 'first'"):
        synloom.evaluate(run_dir, test, prompting=False, name="first")
    again = synloom.evaluate(run_dir, test, prompting=False, name="first", replace=True)
    assert again.name == "first" and sorted(p.name for p in saved.parent.iterdir()) == [
        "first.json"
    ]
    with pytest.raises(SynloomError, match="needs save=True"):
        synloom.evaluate(run_dir, test, prompting=False, name="other", save=False)
    with pytest.raises(SynloomError, match="evaluation name"):
        synloom.evaluate(run_dir, test, prompting=False, name="../escape")

    recorder = Recorder()
    kept_run = synloom.curate(run_dir, "random", keep=0.5, name="half", progress=recorder)
    assert kept_run.curation.name == "half"
    assert recorder.begun == [("curation step 1: random", 16)]
    assert recorder.done == {0: 16}


def test_evaluate_fails_on_a_bad_task_model_before_any_work(fake_run):
    with pytest.raises(SynloomError, match="unknown task model 'bert'; choose one of"):
        synloom.evaluate(fake_run, [{"text": "a", "label": "positive"}], tam="bert")
    with pytest.raises(SynloomError, match="unknown evaluation option"):
        synloom.evaluate(fake_run, [{"text": "a", "label": "positive"}], temperature=2)


def test_curate_returns_the_run_read_through_the_curation(fake_run):
    kept = synloom.curate(fake_run, "random", keep=0.5, name="half")
    assert kept.curation is not None and kept.curation.name == "half"
    assert kept.label_counts == {"negative": 4, "positive": 4}
    assert {s.id for s in kept.samples} < {s.id for s in kept.pool} and len(kept.pool) == 16
    assert len(kept.to_hf()) == 8  # the export of a curated run holds what it keeps
    with pytest.raises(SynloomError, match="at most one of keep, per_label and same_size_as"):
        synloom.curate(fake_run, "random", keep=0.5, same_size_as="half")


def test_the_api_subpackages_are_callable_and_still_packages():
    import synloom.generate.engine as engine
    from synloom.generate import run_generation

    assert synloom.generate.run_generation is run_generation is engine.run_generation
    assert callable(synloom.generate) and callable(synloom.evaluate) and callable(synloom.curate)
    import inspect

    assert list(inspect.signature(synloom.generate).parameters)[:2] == ["spec", "out"]
    from synloom.evaluate.table import evaluate_run

    assert synloom.evaluate.table.evaluate_run is evaluate_run
    assert set(synloom.__all__) >= {"load_spec", "generate", "open_run", "evaluate", "Run"}


def test_the_api_works_in_the_base_install(fake_run):
    from tests.test_imports import BLOCKED, BLOCKER

    code = BLOCKER + (
        "import synloom\n"
        f"spec = synloom.load_spec({SPEC!r})\n"
        "print(callable(synloom.generate), spec.name)\n"
        f"loaded = sorted(n for n in sys.modules if n.partition('.')[0] in {BLOCKED!r})\n"
        "print(loaded)\n"
        "from synloom.errors import SynloomError\n"
        "try:\n"
        f"    synloom.evaluate({str(fake_run.run_dir)!r}, [{{'text': 'a', 'label': 'positive'}}])\n"
        "except SynloomError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "True api-test",
        "[]",
        # the prompting baseline loads the spec's local generator first
        "torch is not installed; it comes with the 'local' extra: pip install 'synloom[local]'",
    ]


@pytest.mark.slow  # the MiniLM metrics against a reference: ~30 s on 2 busy CPUs
def test_score_stores_what_run_scores_reads_back(tmp_path, datasets_dir):
    import pandas as pd

    run = synloom.generate(SPEC, out=tmp_path / "scored", backend=FakeBackend())
    reference = pd.DataFrame(read_jsonl(datasets_dir / "sst2" / "test.jsonl", limit=60))
    recorder = Recorder()
    scores = synloom.score(run, reference, max_model_samples=0, progress=recorder)
    assert scores.n_samples == 16 and scores.per_sample == {}  # no LM: no per-sample values
    n_metrics = recorder.begun[0][1]
    assert recorder.begun[0][0] == "quality metrics" and recorder.done[0] == n_metrics
    assert scores.settings.reference == "in-memory data (60 rows)"
    assert "distinct_n" in scores.metrics and "perplexity" in scores.skipped
    stored = synloom.open_run(run.run_dir).scores
    assert stored is not None and stored.metrics == scores.metrics
