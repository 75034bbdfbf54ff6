"""The three-way evaluation of a run on real test data (ZeroGen/ProGen's main table).

Rows: the generator's zero-shot prompting baseline, a task model trained on the run's
synthetic samples, and the same task model trained on real gold data (the supervised upper
reference). Each row has accuracy and macro-F1 on the same test set, sizes and seeds; with
several seeds the task-model rows report mean and standard deviation.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synloom.errors import SynloomError
from synloom.evaluate.metrics import classification_report
from synloom.evaluate.options import EvaluationOptions
from synloom.progress import Progress, reporting, step
from synloom.store import open_run
from synloom.store.artifacts import EVALUATION_FILE as EVALUATION_FILE  # for the CLI
from synloom.store.artifacts import Evaluation, save_evaluation, validated, write_evaluation
from synloom.store.artifacts import evaluation_file as evaluation_file  # for the CLI
from synloom.store.artifacts.evaluations import check_new_name

if TYPE_CHECKING:
    from collections.abc import Callable

    from synloom.backends.base import Backend
    from synloom.spec import TaskSpec
    from synloom.train.data import LabeledData


@dataclass(frozen=True)
class TableRow:
    """One setting: mean scores over seeds, plus each seed's report."""

    setting: str  # "prompting", "tam-synthetic", "tam-gold"
    model: str
    accuracy: float
    macro_f1: float
    n_train: int | None
    n_test: int
    seeds: list[int]
    accuracy_std: float = 0.0
    macro_f1_std: float = 0.0
    seconds: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EvaluationTable:
    rows: list[TableRow]
    labels: list[str]
    test_source: str
    gold_source: str | None
    created_at: float
    curation: str | None = None  # the curation whose kept samples trained tam-synthetic
    name: str | None = None  # its name in the run's `evaluations/`, once saved

    def row(self, setting: str) -> TableRow:
        for row in self.rows:
            if row.setting == setting:
                return row
        raise KeyError(setting)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def notes(self) -> list[str]:
        """Lines to show with the table, e.g. how many test texts were truncated (each row keeps
        its own in `details["notes"]`, so evaluation.json holds them too)."""
        return [note for r in self.rows for note in r.details.get("notes", [])]

    def artifact(self) -> Evaluation:
        """The table as `evaluation.json` holds it (what the report reads back)."""
        return validated(Evaluation, self.to_json(), "the evaluation table")

    def save(self, path: str | Path) -> Path:
        return write_evaluation(path, self.artifact())

    def format(self) -> str:
        """A plain-text table for the terminal (titled with the curation, if any)."""
        head = ("setting", "model", "n_train", "n_test", "seeds", "accuracy", "macro-F1")
        lines = [head]
        title = "" if self.curation is None else f"synthetic data: curation {self.curation}\n"
        for r in self.rows:
            lines.append(
                (
                    r.setting,
                    r.model,
                    "-" if r.n_train is None else str(r.n_train),
                    str(r.n_test),
                    ",".join(map(str, r.seeds)) or "-",
                    _pm(r.accuracy, r.accuracy_std, len(r.seeds)),
                    _pm(r.macro_f1, r.macro_f1_std, len(r.seeds)),
                )
            )
        widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
        return title + "\n".join(
            "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
            for line in lines
        )


def load_run_spec(run_dir: str | Path) -> TaskSpec:
    """The spec a run was generated from (kept in its manifest)."""
    return open_run(run_dir).spec


def evaluate_run(
    run_dir: str | Path,
    test: str | Path | LabeledData,
    options: EvaluationOptions | None = None,
    *,
    gold_train: str | Path | LabeledData | None = None,
    backend: Backend | None = None,
    save: bool = True,
    curation: str | None = None,
    test_source: str | None = None,
    name: str | None = None,
    replace_name: bool = False,
    progress: Progress | None = None,
    **overrides: Any,
) -> EvaluationTable:
    """Build the three-way table for a run and (by default) store it as evaluation.json there.

    `test_source` names the test data in the table (default: its path; data given in memory
    should be named, else it reads "in-memory data (N rows)").

    Evaluations are kept side by side (`store/artifacts/evaluations.py`): the table is saved as
    `evaluations/NAME.json` (`name`, else the time it finished; an existing name is refused before
    any work unless `replace_name`) and copied to evaluation.json, the latest; `table.name` says
    which.

    `options` says how (task model, seeds, the prompting baseline); keyword `overrides` replace
    single fields of it, e.g. `evaluate_run(run, test, tam="embed-lr", prompting=False)`. With
    `curation`, tam-synthetic trains on the samples it keeps (with its weights) and the table
    is stored as evaluation-NAME.json, beside the uncurated one.
    """
    from synloom.train.data import LabeledData, load_labeled_data

    if save:
        check_new_name(run_dir, name, replace=replace_name)
    run = open_run(run_dir, curation=curation)
    run.require_labels("a task model")
    spec = run.spec
    synthetic = LabeledData.from_run(run)
    test_data = load_labeled_data(test)
    gold = None if gold_train is None else load_labeled_data(gold_train)
    table = evaluate_three_way(
        spec,
        synthetic,
        test_data,
        (options or EvaluationOptions()).with_overrides(**overrides),
        gold_train=gold,
        backend=backend,
        test_source=test_source
        or (
            str(test)
            if not isinstance(test, LabeledData)
            else f"in-memory data ({len(test_data)} rows)"
        ),
        gold_source=None if gold_train is None else str(gold_train),
        progress=progress,
    )
    table = replace(table, curation=curation)
    if save:
        saved, _ = save_evaluation(run.run_dir, table.artifact(), name, replace=replace_name)
        table = replace(table, name=saved)
    return table


def evaluate_three_way(
    spec: TaskSpec,
    synthetic: LabeledData,
    test: LabeledData,
    options: EvaluationOptions | None = None,
    *,
    gold_train: LabeledData | None = None,
    backend: Backend | None = None,
    test_source: str = "data",
    gold_source: str | None = None,
    progress: Progress | None = None,
    **overrides: Any,
) -> EvaluationTable:
    """The table from data already in memory (what `evaluate_run` calls); `progress` receives
    a step per row and seed, with the scoring, embedding and training steps inside."""
    options = (options or EvaluationOptions()).with_overrides(**overrides)
    labels = spec.label_names
    _check_labels(test, labels, "test data")
    if gold_train is not None:
        _check_labels(gold_train, labels, "gold training data")
    if test.is_pair != synthetic.is_pair:
        raise SynloomError("the test data and the run differ in being sentence pairs")
    if not options.seeds:
        raise SynloomError("give at least one seed")
    rows = []
    few_shot = _few_shot_data(spec) if "few-shot-first" in options.strategies else None
    n_steps = int(options.prompting) + len(options.seeds) * (1 + (gold_train is not None))
    with reporting(progress), step("evaluation", n_steps, "models") as bar:
        if options.prompting:
            with step("prompting baseline"):
                rows.append(_prompting_row(spec, test, labels, options, backend))
            bar.advance()
        tam_args = (test, labels, options, few_shot, bar.advance)
        rows.append(_tam_row("tam-synthetic", synthetic, *tam_args))
        if gold_train is not None:
            rows.append(_tam_row("tam-gold", gold_train, *tam_args))
    return EvaluationTable(rows, labels, test_source, gold_source, time.time())


def _prompting_row(
    spec: TaskSpec,
    test: LabeledData,
    labels: list[str],
    options: EvaluationOptions,
    backend: Backend | None,
) -> TableRow:
    from synloom.backends import open_backend
    from synloom.evaluate.prompting import predict_zero_shot

    calibrate, template = options.calibrate, options.prompt_template
    fill = None if options.prompt_fill is None else dict(options.prompt_fill)
    start = time.perf_counter()
    with open_backend(spec.backend, backend) as lm:
        result = predict_zero_shot(
            lm,
            spec,
            test.texts,
            test.texts_b,
            calibrate=calibrate,
            template=template,
            fill=fill,
        )
        model = lm.model_name
    report = classification_report(test.labels, result.predictions, labels)
    return TableRow(
        setting="prompting",
        model=f"{model} zero-shot" + (" +calibration" if calibrate else ""),
        accuracy=report["accuracy"],
        macro_f1=report["macro_f1"],
        n_train=None,
        n_test=len(test),
        seeds=[],
        seconds=time.perf_counter() - start,
        details={
            "report": report,
            **result.describe(),
            "prompt": template or spec.recipe.prompt,
            "notes": [result.note] if result.note else [],
        },
    )


def _few_shot_data(spec: TaskSpec) -> LabeledData:
    """The spec's seed examples: the real few-shot data of FewGen's schedule."""
    from synloom.train.data import LabeledData

    examples = spec.seed_examples
    if not examples:
        raise SynloomError(
            "strategy few-shot-first needs real examples: add seed_examples to the spec"
        )
    pairs = [e.text_b is not None for e in examples]
    return LabeledData(
        texts=tuple(e.text for e in examples),
        labels=tuple(e.label for e in examples),
        texts_b=tuple(e.text_b or "" for e in examples) if any(pairs) else None,
    )


def _tam_row(
    setting: str,
    train: LabeledData,
    test: LabeledData,
    labels: list[str],
    options: EvaluationOptions,
    few_shot: LabeledData | None,
    done: Callable[[], None] = lambda: None,
) -> TableRow:
    import numpy as np

    from synloom.train.registry import create_task_model

    tam, strategies, seeds = options.tam, options.strategies, options.seeds
    start = time.perf_counter()
    reports, describe = [], {}
    for seed in seeds:
        model = create_task_model(tam, strategies=strategies)
        with step(f"{setting}: training {tam} on {len(train)} (seed {seed})"):
            if few_shot is not None:
                model.fit(train, seed=seed, few_shot=few_shot)
            else:
                model.fit(train, seed=seed)
        with step(f"{setting}: predicting {len(test)} test texts"):
            predictions = model.predict(test.texts, test.texts_b)
        done()
        describe = model.describe()  # after predict: it counts truncated test texts too
        reports.append(classification_report(test.labels, predictions, labels))
    acc = np.array([r["accuracy"] for r in reports])
    f1 = np.array([r["macro_f1"] for r in reports])
    missing = sorted(set(labels) - set(train.labels))
    return TableRow(
        setting=setting,
        model=tam + "".join(f"+{s}" for s in strategies),
        accuracy=float(acc.mean()),
        macro_f1=float(f1.mean()),
        n_train=len(train),
        n_test=len(test),
        seeds=list(seeds),
        accuracy_std=float(acc.std()),
        macro_f1_std=float(f1.std()),
        seconds=time.perf_counter() - start,
        details={
            "task_model": describe,
            "train_label_counts": train.label_counts(),
            "labels_missing_from_training": missing,
            "reports": dict(zip(map(str, seeds), reports, strict=True)),
            "few_shot_examples": None if few_shot is None else len(few_shot),
            "notes": _truncation_notes(setting, describe),
        },
    )


def _truncation_notes(setting: str, describe: dict[str, Any]) -> list[str]:
    """One line per text set (training, test) the task model's encoder truncated."""
    notes = []
    for phase, what in (("train", "training texts"), ("predict", "test texts")):
        cut = (describe.get("truncation") or {}).get(phase)
        if cut and cut["n_truncated"]:
            notes.append(
                f"{cut['n_truncated']} of {cut['n_total']} {what} were truncated to "
                f"{cut['max_tokens']} tokens for the {setting} task model"
            )
    return notes


def _check_labels(data: LabeledData, labels: list[str], what: str) -> None:
    unknown = sorted(set(data.labels) - set(labels))
    if unknown:
        raise SynloomError(
            f"{what} has labels the spec does not declare: {', '.join(unknown)} "
            f"(spec labels: {', '.join(labels)})"
        )


def _pm(mean: float, std: float, n: int) -> str:
    return f"{mean:.4f}" if n <= 1 else f"{mean:.4f} ± {std:.4f}"
