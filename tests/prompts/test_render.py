from __future__ import annotations

import random

from synloom.prompts import PromptBuilder
from synloom.spec import parse_spec

SPEC = {
    "labels": [{"name": "positive"}, {"name": "negative", "verbalizers": ["bad"]}],
    "attributes": {"genre": ["comedy", "drama"]},
    "seed_examples": [
        {"text": "loved it", "label": "positive"},
        {"text": "great fun", "label": "positive"},
        {"text": "hated it", "label": "negative"},
        {"text": "a dull mess", "label": "negative"},
    ],
    "recipe": {
        "type": "fewshot",
        "k": 2,
        "example_template": "Review ({verbalizer}): {text}\n",
        "prompt": "Review ({verbalizer}, a {genre}): ",
    },
}


def test_fewshot_render_uses_same_label_examples_and_attributes():
    builder = PromptBuilder(parse_spec(SPEC))
    rng = random.Random(0)
    attrs = builder.sample_attributes(rng)
    examples = builder.sample_examples("negative", rng)
    prompt = builder.render("negative", attributes=attrs, examples=examples)
    assert sorted(e.text for e in examples) == ["a dull mess", "hated it"]
    shots = "".join(f"Review (bad): {e.text}\n" for e in examples)
    assert prompt == f"{shots}Review (bad, a {attrs['genre']}): "
    pos = builder.sample_examples("positive", random.Random(1))
    assert sorted(e.text for e in pos) == ["great fun", "loved it"]
