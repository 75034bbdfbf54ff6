from __future__ import annotations

import random

from synloom.prompts import PromptBuilder
from synloom.recipes import recipe_for
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
    spec = parse_spec(SPEC)
    builder, fewshot = PromptBuilder(spec), recipe_for(spec)
    rng = random.Random(0)
    attrs = builder.sample_attributes(rng)
    prefix, meta = fewshot.prefix("negative", rng)
    prompt = builder.render("negative", attributes=attrs, prefix=prefix)
    assert sorted(meta["examples"]) == ["a dull mess", "hated it"]
    shots = "".join(f"Review (bad): {text}\n" for text in meta["examples"])
    assert prompt == f"{shots}Review (bad, a {attrs['genre']}): "
    pos = fewshot.sample_examples("positive", random.Random(1))
    assert sorted(e.text for e in pos) == ["great fun", "loved it"]
