"""A deterministic fake backend for orchestration tests only (never what a user runs)."""

from __future__ import annotations

import random

from synloom.backends.base import Completion, cut_at_stop
from synloom.errors import BackendError

WORDS = [
    "good",
    "bad",
    "film",
    "plot",
    "acting",
    "story",
    "great",
    "awful",
    "fun",
    "dull",
    "scene",
    "music",
    "cast",
]


class FakeBackend:
    """Text depends only on (prompt, seed); `fail_every` marks some requests failed; `crash_after`
    raises after that many batches to simulate a killed process."""

    name = "fake"

    def __init__(
        self, fail_every: int = 0, crash_after: int | None = None, vocab: int = len(WORDS)
    ):
        self.fail_every = fail_every
        self.crash_after = crash_after
        self.vocab = WORDS[:vocab]
        self.batches = 0
        self.calls: list[list[str]] = []

    def generate(self, prompts, params, seeds):
        if self.crash_after is not None and self.batches >= self.crash_after:
            raise RuntimeError("simulated crash")
        self.batches += 1
        self.calls.append(list(prompts))
        out = []
        per = getattr(params, "n", 1)  # samples per prompt: seeds[j] is prompt j // per's sample
        for j, seed in enumerate(seeds[: len(prompts) * per]):
            prompt = prompts[j // per]
            rng = random.Random(f"{prompt}|{seed}")
            if self.fail_every and rng.randrange(self.fail_every) == 0:
                out.append(Completion("", "error", error="HTTP 500 after 5 retries"))
                continue
            n = rng.randrange(1, 9)
            raw = " ".join(rng.choice(self.vocab) for _ in range(n)) + '." and more'
            text, stopped = cut_at_stop(raw, params.stop)
            out.append(Completion(text, "stop" if stopped else "length", raw, n))
        return out

    def score(self, prompts, continuations):
        raise BackendError("this fake backend has no log-probs")

    def close(self):
        pass
