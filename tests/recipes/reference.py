"""The runs behind the equivalence fixtures in `data/`: their specs, and how a run's `requests`
table and accepted set are dumped. Used by `test_equivalence.py`, and run as a script
(`python -m tests.recipes.reference OUT_DIR`, see data/README.md) against the code before the
recipe plugins (commit 457e584) to write the fixtures."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

LABELS = [
    {"name": "positive", "verbalizers": ["positive"]},
    {"name": "negative", "verbalizers": ["negative"]},
]
SEEDS = [
    {"label": "positive", "text": "a gorgeous , witty , seductive movie ."},
    {"label": "positive", "text": "the performances are an absolute joy ."},
    {"label": "positive", "text": "a warm , funny , engaging film ."},
    {"label": "negative", "text": "a dull , pretentious mess ."},
    {"label": "negative", "text": "the acting is wooden and the plot makes no sense ."},
    {"label": "negative", "text": "it 's boring , predictable and far too long ."},
]

# Planned through the deterministic fake backend of tests/fakes.py (a 4-word vocabulary, so
# rounds reject duplicates and later rounds are planned from measured acceptance rates).
FAKE_SPECS: dict[str, dict[str, Any]] = {
    "zerogen_context": {
        "labels": LABELS,
        "attributes": {"length": ["short", "long"], "tone": ["calm", "angry", "dry"]},
        "recipe": {
            "type": "zerogen",
            "context_stage": {"prompt": 'Movie: "', "count": 5, "max_new_tokens": 8},
            "prompt": 'A {length}, {tone} {verbalizer} review of "{context}": "',
            "label_prompts": {"negative": 'A {tone} pan of "{context}": "'},
            "min_words": 2,
        },
        "generation": {"samples_per_label": 8, "batch_size": 4, "stop": ['"']},
        "seed": 11,
    },
    "fewshot_ratio": {
        "labels": LABELS,
        "attributes": {"genre": ["comedy", "drama", "horror"]},
        "seed_examples": SEEDS,
        "recipe": {
            "type": "fewshot",
            "k": 2,
            "example_ratio": 0.5,
            "example_template": 'Review ({verbalizer}): "{text}"\n',
            "prompt": 'Review ({verbalizer}) of a {genre} about {context}: "',
            "label_prompts": {"positive": 'Praise for a {genre} about {context}: "'},
            "contexts": ["a heist", "a wedding", "the sea"],
            "min_words": 4,
        },
        "generation": {"samples_per_label": 10, "batch_size": 3, "stop": ['"']},
        "seed": 5,
    },
    "zerogen_pair": {
        "task": {"kind": "text_pair_classification"},
        "labels": [{"name": "entailment"}, {"name": "contradiction"}],
        "recipe": {
            "type": "zerogen",
            "prompt": 'Sentence 1: "{context}" Sentence 2, {verbalizer}: "',
            "contexts": ["A man plays a guitar.", "Two dogs run on a beach.", "It is raining."],
            "min_words": 4,
        },
        "generation": {"samples_per_label": 6, "batch_size": 5, "stop": ['"']},
        "seed": 2,
    },
}
FAKE_VOCAB = {"zerogen_context": 4, "fewshot_ratio": 3, "zerogen_pair": 4}

# Run with the real embedded model through `synloom generate` (CPU), decoding as the code before
# the move did: each prompt prefilled on its own (`share_prefix: false`; sharing a batch's
# identical prompts moves bfloat16 logits) and transformers' sampler (`sampler: transformers`;
# synloom's draws the same distribution with other random numbers).
REAL_BACKEND = {
    "type": "local",
    "model": "embedded",
    "device": "cpu",
    "share_prefix": False,
    "sampler": "transformers",
}
BEFORE_THE_MOVE = ("share_prefix", "sampler")  # options the code of commit 457e584 lacks
REAL_SPECS: dict[str, dict[str, Any]] = {}
REAL_SPECS["real_fewshot"] = {
    "name": "recipes-equivalence",
    "labels": LABELS,
    "attributes": {"tone": ["calm", "excited"]},
    "seed_examples": SEEDS,
    "recipe": {
        "type": "fewshot",
        "k": 2,
        "example_ratio": 0.5,
        "example_template": 'The movie review in {verbalizer} sentiment is: "{text}"\n',
        "prompt": 'The {tone} movie review in {verbalizer} sentiment is: "',
        "label_prompts": {"negative": 'The {tone} movie review that hates the film is: "'},
        "min_words": 3,
    },
    "generation": {"samples_per_label": 6, "batch_size": 6, "max_new_tokens": 24},
    "backend": REAL_BACKEND,
    "seed": 3,
}
REAL_SPECS["real_zerogen_context"] = {
    "name": "recipes-equivalence-context",
    "labels": LABELS,
    "recipe": {
        "type": "zerogen",
        "context_stage": {"prompt": 'Movie: "', "count": 3, "max_new_tokens": 10},
        "prompt": 'The movie review in {verbalizer} sentiment for movie "{context}" is: "',
        "label_prompts": {"negative": 'A scathing review of the movie "{context}": "'},
        "min_words": 3,
    },
    "generation": {"samples_per_label": 5, "batch_size": 5, "max_new_tokens": 24},
    "backend": REAL_BACKEND,
    "seed": 8,
}


def dump_run(run_dir: Path) -> dict[str, Any]:
    """The planned requests (everything planning decides), the accepted set of a run, and what
    the backend answered to each request (so a test can replay it without the model)."""
    with sqlite3.connect(Path(run_dir) / "run.sqlite") as db:
        requests = [
            {
                "id": r[0],
                "stage": r[1],
                "round": r[2],
                "idx": r[3],
                "batch": r[4],
                "label": r[5],
                "prompt": r[6],
                "context": r[7],
                "meta": json.loads(r[8]),
                "params": json.loads(r[9]),
                "seed": r[10],
            }
            for r in db.execute(
                "SELECT id, stage, round, idx, batch, label, prompt, context, meta, params, seed"
                " FROM requests ORDER BY stage, round, idx"
            )
        ]
        accepted = [
            list(r)
            for r in db.execute(
                "SELECT id, stage, label, text, text_b FROM accepted ORDER BY stage, round, idx"
            )
        ]
        outputs = [
            dict(zip(("id", "completion", "raw_text", "finish_reason", "n_tokens"), r))
            for r in db.execute(
                "SELECT r.id, o.completion, o.raw_text, o.finish_reason, o.n_tokens FROM outputs o"
                " JOIN requests r ON r.id = o.request_id ORDER BY r.stage, r.round, r.idx"
            )
        ]
    return {"requests": requests, "accepted": accepted, "outputs": outputs}


def main(out: Path) -> None:
    import subprocess

    import yaml

    from synloom.generate import run_generation
    from synloom.spec import parse_spec
    from tests.fakes import FakeBackend

    out.mkdir(parents=True, exist_ok=True)
    for name, data in FAKE_SPECS.items():
        run_dir = out / "runs" / name
        run_generation(parse_spec(data), run_dir, backend=FakeBackend(vocab=FAKE_VOCAB[name]))
        (out / f"{name}.json").write_text(json.dumps(dump_run(run_dir), indent=1) + "\n")
    for name, data in REAL_SPECS.items():
        spec_path = out / "runs" / f"{name}.yaml"
        # the code before the move has neither option: it decoded as they say
        backend = {k: v for k, v in data["backend"].items() if k not in BEFORE_THE_MOVE}
        spec_path.write_text(yaml.safe_dump({**data, "backend": backend}))
        run_dir = out / "runs" / name
        subprocess.run(
            [sys.executable, "-m", "synloom", "generate", str(spec_path), "--out", str(run_dir)],
            check=True,
        )
        (out / f"{name}.json").write_text(json.dumps(dump_run(run_dir), indent=1) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
