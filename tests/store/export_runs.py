"""Tiny runs for the export and card tests, made by the real engine from real SST-2 sentences
(`tests/report/runs.SentenceBackend` answers each prompt with a sentence of its label, or with
markup, a too-short or an unterminated answer): accepted samples with attributes and the
few-shot examples their request got, rejections of several reasons, a full manifest."""

from __future__ import annotations

from pathlib import Path

from synloom.backends.base import Completion
from synloom.generate import run_generation
from synloom.spec import parse_spec
from tests.report.runs import SentenceBackend, sentence_pools

LABELS = ["positive", "negative"]  # spec order (not alphabetical: the ClassLabel keeps it)


def export_spec(pools: dict[str, list[str]], per_label: int = 12):
    return parse_spec(
        {
            "name": "export-test",
            "task": {"kind": "text_classification", "description": "movie review sentiment"},
            "labels": [{"name": n, "verbalizers": [n]} for n in LABELS],
            "attributes": {"genre": ["comedy", "horror", "drama"]},
            "seed_examples": [{"text": pools[n][0], "label": n} for n in LABELS],
            "recipe": {
                "type": "fewshot",
                "k": 1,
                "prompt": 'A {genre} movie review, {verbalizer}: "',
            },
            "generation": {"samples_per_label": per_label, "batch_size": 8, "stop": ['"']},
            "seed": 3,
        }
    )


def make_export_run(run_dir: Path, datasets_dir: Path, per_label: int = 12) -> Path:
    pools = sentence_pools(datasets_dir)
    run_generation(export_spec(pools, per_label), run_dir, backend=SentenceBackend(pools))
    return run_dir


class TooShortBackend(SentenceBackend):
    """Every answer is too short: a run that accepts nothing."""

    def generate(self, prompts, params, seeds):
        return [Completion("meh", "stop", 'meh" and more', 2) for _ in prompts]


def make_empty_run(run_dir: Path, datasets_dir: Path) -> Path:
    pools = sentence_pools(datasets_dir)
    run_generation(export_spec(pools, 4), run_dir, backend=TooShortBackend(pools))
    return run_dir
