"""A small generated run whose outputs are real SST-2 sentences, plus hostile and broken ones.

`SentenceBackend` stands in for the generator (orchestration only): the real engine plans,
parses, dedups and stores its answers, so the run has accepted samples, rejections with
reasons, copies of the seed examples and an accepted sample carrying HTML/script markup.
Scoring and reports then use the real embedded models.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from synloom.backends.base import Completion, cut_at_stop
from synloom.errors import BackendError
from synloom.generate import run_generation
from synloom.spec import parse_spec

HOSTILE = (
    "<script>alert('synloom')</script> <img src=x onerror=alert(1)> a dreadful film &amp; worse"
)
SEEDS_PER_LABEL = 2
POOL_PER_LABEL = 40
REFERENCE_ROWS = 200


def read_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def sentence_pools(datasets_dir: Path) -> dict[str, list[str]]:
    """The first SST-2 training sentences of each label."""
    pools: dict[str, list[str]] = {"positive": [], "negative": []}
    for row in read_rows(datasets_dir / "sst2" / "train_sentences.jsonl")[:600]:
        pools[row["label"]].append(row["text"])
    return {label: texts[:POOL_PER_LABEL] for label, texts in pools.items()}


class SentenceBackend:
    """Answers a prompt with a real sentence of the prompt's label, picked by (prompt, seed);
    some answers are markup, too short or unterminated."""

    name = "sentences"

    def __init__(self, pools: dict[str, list[str]]):
        self.pools = pools

    def generate(self, prompts, params, seeds):
        out = []
        for prompt, seed in zip(prompts, seeds):
            rng = random.Random(f"{prompt}|{seed}")
            label = "negative" if "negative" in prompt else "positive"
            roll = rng.random()
            if roll < 0.06:
                raw = HOSTILE + '" and more'
            elif roll < 0.12:
                raw = 'meh" and more'
            elif roll < 0.17:
                raw = "it just goes on and on and never"
            else:
                raw = rng.choice(self.pools[label]) + '" and more'
            text, stopped = cut_at_stop(raw, params.stop)
            out.append(Completion(text, "stop" if stopped else "length", raw, len(raw.split())))
        return out

    def score(self, prompts, continuations):
        raise BackendError("this fake backend has no log-probs")

    def close(self):
        pass


def make_spec(pools: dict[str, list[str]], per_label: int = 30):
    """SST-2 spec whose seed examples are the first sentences of each pool."""
    seeds = [
        {"text": pools[label][i], "label": label}
        for label in ("positive", "negative")
        for i in range(SEEDS_PER_LABEL)
    ]
    return parse_spec(
        {
            "name": "report-test-sst2",
            "task": {"kind": "text_classification", "description": "movie review sentiment"},
            "labels": [
                {"name": "positive", "verbalizers": ["positive"]},
                {"name": "negative", "verbalizers": ["negative"]},
            ],
            "seed_examples": seeds,
            "recipe": {"type": "zerogen", "prompt": 'The {verbalizer} movie review: "'},
            "generation": {"samples_per_label": per_label, "batch_size": 16, "stop": ['"']},
            "seed": 7,
        }
    )


def make_run(run_dir: Path, datasets_dir: Path, per_label: int = 30) -> Path:
    pools = sentence_pools(datasets_dir)
    run_generation(make_spec(pools, per_label), run_dir, backend=SentenceBackend(pools))
    return run_dir


def write_reference(path: Path, datasets_dir: Path, n: int = REFERENCE_ROWS) -> Path:
    """The first `n` SST-2 validation sentences (real, labeled) as a JSONL file."""
    rows = read_rows(datasets_dir / "sst2" / "validation.jsonl")[:n]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return path
