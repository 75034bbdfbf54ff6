"""Labels named by integers (star ratings "1".."5") in `seed_examples_file`: an integer in the
file is the label's NAME in every format, never its index. Before, a CSV's "1" matched the label
"1" but a JSONL or Parquet integer 1 picked names[1] = "2", silently shifting every seed."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml

from synloom.errors import SpecError
from synloom.spec import load_spec
from tests.conftest import read_jsonl

STARS = ["1", "2", "3", "4", "5"]
# Real TREC questions; each of five coarse classes stands in for one star rating.
STAR_OF = {"description": 1, "entity": 2, "human": 3, "location": 4, "number": 5}


@pytest.fixture(scope="module")
def rated(datasets_dir) -> list[dict]:
    """30 real TREC questions with an integer star 1..5 (every star present)."""
    rows = [
        {"text": r["text"], "stars": STAR_OF[r["label"]]}
        for r in read_jsonl(datasets_dir / "trec" / "train.jsonl", limit=60)
        if r["label"] in STAR_OF
    ][:30]
    assert {r["stars"] for r in rows} == {1, 2, 3, 4, 5}
    return rows


def write_spec(folder: Path, seed_file: str, labels: list[str] = STARS) -> Path:
    data = {
        "labels": [{"name": n} for n in labels],
        "seed_examples_file": {"path": seed_file, "label": "stars"},
        "recipe": {"type": "fewshot", "k": 2, "prompt": "A {verbalizer}-star review: "},
    }
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def write_file(folder: Path, fmt: str, rows: list[dict]) -> str:
    if fmt == "csv":
        with open(folder / "seeds.csv", "w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            out.writerow(["text", "stars"])
            out.writerows([r["text"], r["stars"]] for r in rows)
        return "seeds.csv"
    if fmt == "jsonl":
        with open(folder / "seeds.jsonl", "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r) + "\n" for r in rows)
        return "seeds.jsonl"
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = {"text": [r["text"] for r in rows], "stars": [r["stars"] for r in rows]}
    pq.write_table(pa.table(columns), folder / "seeds.parquet")
    assert pq.read_schema(folder / "seeds.parquet").field("stars").type == pa.int64()
    return "seeds.parquet"


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
@pytest.mark.parametrize("labels", [STARS, STARS[::-1]], ids=["1-to-5", "5-to-1"])
def test_an_integer_is_the_name_of_a_label_named_by_an_integer(tmp_path, rated, fmt, labels):
    spec = load_spec(write_spec(tmp_path, write_file(tmp_path, fmt, rated), labels))
    assert [(e.text, e.label) for e in spec.seed_examples] == [
        (r["text"], str(r["stars"])) for r in rated
    ]


def test_a_classlabel_of_star_names_is_matched_by_name(tmp_path, rated):
    from datasets import ClassLabel, Dataset, Features, Value

    names = ["5", "4", "3", "2", "1"]  # the ClassLabel's order differs from the spec's
    table = {
        "text": [r["text"] for r in rated],
        "stars": [names.index(str(r["stars"])) for r in rated],
    }
    features = Features({"text": Value("string"), "stars": ClassLabel(names=names)})
    Dataset.from_dict(table, features=features).to_parquet(str(tmp_path / "seeds.parquet"))
    spec = load_spec(write_spec(tmp_path, "seeds.parquet"))
    assert [e.label for e in spec.seed_examples] == [str(r["stars"]) for r in rated]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_an_integer_that_names_no_label_is_refused_not_used_as_an_index(tmp_path, rated, fmt):
    zero_based = [r | {"stars": r["stars"] - 1} for r in rated]  # 0..4: an index, not a name
    path = write_spec(tmp_path, write_file(tmp_path, fmt, zero_based))
    with pytest.raises(SpecError) as info:
        load_spec(path)
    message = str(info.value)
    assert "\n" not in message
    first = next(i for i, r in enumerate(zero_based, 1) if r["stars"] == 0)
    assert f"row {first}: label 0 names no single label" in message
    assert "read as a name, not as an index; write the label names in the file" in message


def test_labels_not_named_by_integers_still_take_an_index(tmp_path, rated):
    """A spec whose labels are words keeps reading 0-based integers as their index."""
    write_file(tmp_path, "jsonl", [r | {"stars": r["stars"] - 1} for r in rated])
    words = ["one", "two", "three", "four", "five"]
    spec = load_spec(write_spec(tmp_path, "seeds.jsonl", words))
    assert [e.label for e in spec.seed_examples] == [words[r["stars"] - 1] for r in rated]
