"""Deterministic fake model text for the fake server: a short review that follows the prompt's
sentiment word, different for each (prompt, seed), followed by a closing quote and trailing chatter
so that stop strings matter."""

from __future__ import annotations

import hashlib
import random
import re

_OPENERS = [
    "this film",
    "the movie",
    "this picture",
    "the story",
    "this drama",
    "the comedy",
    "the sequel",
    "this thriller",
]
_NOUNS = [
    "cast",
    "script",
    "score",
    "pacing",
    "dialogue",
    "camera work",
    "ending",
    "plot",
    "lead actor",
    "soundtrack",
    "editing",
    "humor",
    "villain",
    "premise",
    "set design",
    "direction",
    "photography",
    "finale",
    "opening act",
    "supporting cast",
]
_ADVERBS = [
    "truly",
    "really",
    "quite",
    "simply",
    "frankly",
    "honestly",
    "utterly",
    "rather",
    "surprisingly",
    "consistently",
]
_POSITIVE = [
    "wonderful",
    "moving",
    "brilliant",
    "charming",
    "gripping",
    "delightful",
    "superb",
    "heartfelt",
    "clever",
    "beautiful",
    "witty",
    "stunning",
    "memorable",
    "tender",
    "joyful",
    "masterful",
    "inspired",
    "warm",
    "fresh",
    "lovely",
]
_NEGATIVE = [
    "dull",
    "tedious",
    "clumsy",
    "lifeless",
    "messy",
    "boring",
    "shallow",
    "awkward",
    "bland",
    "tiresome",
    "flat",
    "forgettable",
    "sloppy",
    "stale",
    "hollow",
    "grating",
    "muddled",
    "lazy",
    "cheap",
    "weak",
]
_NEUTRAL = [
    "long",
    "loud",
    "quiet",
    "unusual",
    "familiar",
    "busy",
    "slow",
    "fast",
    "odd",
    "plain",
    "modern",
    "classic",
    "strange",
    "simple",
    "dense",
    "light",
    "dark",
    "bright",
    "short",
    "big",
]
_VERBS = [
    "carries",
    "shapes",
    "frames",
    "drives",
    "colors",
    "lifts",
    "anchors",
    "defines",
    "marks",
    "fills",
]

_TOKEN = re.compile(r"\s*\S+")


def fake_review(prompt: str, seed: int | None) -> list[str]:
    """Words of a fake review (with a `"` and trailing text), a pure function of prompt and seed."""
    rng = random.Random(hashlib.sha256(f"{prompt}\x00{seed}".encode()).digest())
    tail = prompt[-300:].lower()
    pos, neg = tail.rfind("positive"), tail.rfind("negative")
    adjectives = _POSITIVE if pos > neg else _NEGATIVE if neg > pos else _NEUTRAL
    words = [
        *rng.choice(_OPENERS).split(),
        "is",
        rng.choice(_ADVERBS),
        rng.choice(adjectives),
        "and",
        "its",
        *rng.choice(_NOUNS).split(),
        "is",
        rng.choice(_ADVERBS),
        rng.choice(adjectives) + ",",
        "which",
        rng.choice(_VERBS),
        "the",
        *rng.choice(_NOUNS).split(),
    ]
    words[0] = words[0].capitalize()
    words[-1] += '."'
    return [*words, "Review", "ends", "here."]


def word_tokens(text: str) -> list[tuple[int, str]]:
    """(char offset, token) for whitespace-led word pieces: the fake server's tokenizer."""
    return [(m.start(), m.group()) for m in _TOKEN.finditer(text)]
