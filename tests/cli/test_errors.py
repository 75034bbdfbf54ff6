"""Bad specs and arguments: one-line cause on stderr, exit status 2, no traceback."""

from __future__ import annotations

import pytest

from tests.helpers import run_cli

GOOD = """\
labels:
  - {name: positive}
  - {name: negative}
"""

BAD = {
    "unknown_seed_label": (
        GOOD + "seed_examples:\n  - {text: fine, label: neutral}\n",
        "unknown label 'neutral'",
    ),
    "no_labels": ("labels: []\n", "at least 2 labels"),
    "negative_budget": (GOOD + "generation: {samples_per_label: -5}\n", "samples_per_label"),
    "unknown_recipe": (GOOD + "recipe: {type: telepathy}\n", "telepathy"),
    "yaml_syntax": ("labels:\n  - {name: positive\n", "YAML syntax error"),
    "unknown_field": (GOOD + "temprature: 0.7\n", "temprature: unknown field"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_spec_exits_2_with_one_line(case, tmp_path):
    text, needle = BAD[case]
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    result = run_cli("generate", spec, "--out", tmp_path / "run")
    assert result.returncode == 2, result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    assert needle in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "run").exists()


def test_missing_spec_file_and_missing_run(tmp_path):
    result = run_cli("generate", tmp_path / "nope.yaml", "--out", tmp_path / "run")
    assert result.returncode == 2 and "spec file not found" in result.stderr
    result = run_cli("inspect", tmp_path / "not-a-run")
    assert result.returncode == 2 and "is not a synloom run" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_override_is_validated(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(GOOD)
    result = run_cli("generate", spec, "--out", tmp_path / "run", "--batch-size", "0")
    assert result.returncode == 2
    assert "generation.batch_size" in result.stderr and "Traceback" not in result.stderr
