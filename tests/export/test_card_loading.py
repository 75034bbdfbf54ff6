"""The card's loading snippet is executed, as a reader would paste it, against the files the
export wrote: every format, with and without `--split`; it must give the exported rows with the
`ClassLabel` label, and the splits it promises."""

from __future__ import annotations

import re

import pytest

from synloom.report.card import export_with_card, read_card
from tests.store.export_runs import LABELS, make_export_run


@pytest.fixture(scope="module")
def made(tmp_path_factory, datasets_dir):
    return make_export_run(tmp_path_factory.mktemp("loading") / "run", datasets_dir)


def snippet(body: str) -> str:
    found = re.search(r"## Loading\n\n```python\n(.*?)\n```", body, re.S)
    assert found, body
    return found.group(1)


@pytest.mark.parametrize("split", [None, 0.25], ids=["whole", "split"])
@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet", "hf"])
def test_the_loading_snippet_loads_what_was_exported(made, tmp_path, monkeypatch, fmt, split):
    name = {"jsonl": "s.jsonl", "csv": "s.csv", "parquet": "s.parquet", "hf": "hf_data"}[fmt]
    (tmp_path / "out").mkdir()
    result = export_with_card(made, fmt, tmp_path / "out" / name, split=split)
    _, body = read_card(result.card_path)
    code = snippet(body)
    # the snippet says where it runs: beside the card, or beside the hf directory
    monkeypatch.chdir(result.target.parent if fmt == "hf" else result.card_path.parent)
    scope: dict = {}
    exec(compile(code, f"<{fmt} card snippet>", "exec"), scope)

    if split is None:
        whole = scope["ds"]["train"] if fmt != "hf" else scope["ds"]
        assert whole.num_rows == 24 and whole.features["label"].names == LABELS
        parts = scope["splits"]  # the seeded, stratified 90/10 split it ends with
        assert (parts["train"].num_rows, parts["test"].num_rows) == (21, 3)
    else:
        train, validation = scope["train"], scope["validation"]
        assert (train.num_rows, validation.num_rows) == (18, 6)
        assert train.features["label"].names == validation.features["label"].names == LABELS
        ids = sorted([*train["id"], *validation["id"]])
        assert ids == sorted(result.table.rows[i]["id"] for i in range(24))
