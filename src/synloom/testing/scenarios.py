"""Scenarios shared by the tests and `benchmarks/reliability.py`: a small few-shot sentiment spec
for the real embedded model, the fault mix injected into the fake server, and the argv of a
`synloom generate` run against it. One copy, so the benchmark measures what the tests check."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from synloom.testing.fake_openai import FakeConfig

FEWSHOT_SENTIMENT_SPEC = """\
name: {name}
labels:
  - {{name: positive, verbalizers: [positive]}}
  - {{name: negative, verbalizers: [negative]}}
seed_examples:
  - {{label: positive, text: "a gorgeous , witty , seductive movie ."}}
  - {{label: positive, text: "the performances are an absolute joy ."}}
  - {{label: negative, text: "a dull , pretentious mess ."}}
  - {{label: negative, text: "the acting is wooden and the plot makes no sense ."}}
recipe:
  type: fewshot
  k: 2
  example_template: "The movie review in {{verbalizer}} sentiment is: \\"{{text}}\\"\\n"
  prompt: 'The movie review in {{verbalizer}} sentiment is: "'
  min_words: 3
generation: {{samples_per_label: {per_label}, batch_size: 4, max_new_tokens: 24}}
{extra}seed: 123
"""

# 10% 5xx, 5% timeouts, 2% malformed and 3% truncated bodies, and a 429 burst every 40 requests.
FAULTS = FakeConfig(
    latency_s=0.01,
    error_rate=0.10,
    timeout_rate=0.05,
    malformed_rate=0.02,
    truncated_rate=0.03,
    hang_s=3.0,
    burst_every=40,
    burst_s=0.15,
    retry_after_s=0.05,
    seed=7,
)


def fewshot_sentiment_spec(name: str = "kill-test", per_label: int = 10, extra: str = "") -> str:
    """The YAML text of the few-shot sentiment spec (`extra`: more top-level lines)."""
    return FEWSHOT_SENTIMENT_SPEC.format(name=name, per_label=per_label, extra=extra)


def fault_config(**changes: object) -> FakeConfig:
    return replace(FAULTS, **changes)


def openai_generate_args(spec: str | Path, out: str | Path, base_url: str) -> list[str]:
    """`generate SPEC --out OUT` through the OpenAI backend at `base_url` (model `fake-model`)."""
    return [
        "generate",
        str(spec),
        "--out",
        str(out),
        "--backend",
        "openai",
        "--base-url",
        base_url,
        "--model",
        "fake-model",
    ]
