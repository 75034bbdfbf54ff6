"""Exports of instruction data (issue 13): an instruction run (no labels, each sample the JSON
record {instruction, input, output}, real Self-Instruct seed tasks) exports in every format with
string columns instruction/input/output and no `label`; `alpaca` and `messages` JSONL are what
supervised fine-tuning reads; a run that is not instruction data is a one-line error for them."""

from __future__ import annotations

import json
import shutil

import pytest

from synloom.errors import SynloomError
from synloom.report.card import read_card
from synloom.store import RunStore
from synloom.store.export import export_data, read_table
from synloom.store.export_instructions import user_content
from synloom.store.export_records import INSTRUCTION_FIELDS, record_fields
from synloom.store.export_split import random_split
from tests.helpers import run_cli
from tests.store.export_runs import make_export_run
from tests.store.instruction_runs import instruction_spec, make_instruction_run, seed_records
from tests.store.runs import error_lines, files_of

N = 6


@pytest.fixture(scope="module")
def records(datasets_dir):
    found = seed_records(datasets_dir, N)
    # the real seed tasks hold both shapes: with an input and without one
    assert any(r["input"] for r in found) and any(not r["input"] for r in found)
    return found


@pytest.fixture(scope="module")
def made(tmp_path_factory, records):
    return make_instruction_run(tmp_path_factory.mktemp("instr") / "run", records)


@pytest.fixture
def run(made, tmp_path):
    shutil.copytree(made, tmp_path / "run")
    return tmp_path / "run"


def _stored(run_dir):
    with RunStore(run_dir) as store:
        return [json.loads(s.text) for s in store.accepted()]


def _jsonl(path):
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_record_fields_of_an_instruction_run_are_three_strings():
    assert INSTRUCTION_FIELDS == ("instruction", "input", "output")
    assert record_fields({"spec": instruction_spec()}) == [
        (f, "string") for f in INSTRUCTION_FIELDS
    ]
    classification = {"spec": {"task": {"kind": "text_classification"}, "recipe": {}}}
    assert record_fields(classification) == []


def test_the_table_has_string_record_columns_and_no_label(run, records):
    table, _ = read_table(run)
    kinds = dict(table.columns)
    assert "label" not in kinds
    assert [kinds[f] for f in INSTRUCTION_FIELDS] == ["string"] * 3
    assert [{f: row[f] for f in INSTRUCTION_FIELDS} for row in table.rows] == records
    assert [json.loads(row["text"]) for row in table.rows] == records


def test_every_existing_format_has_typed_string_columns(run, records):
    import csv

    import datasets
    import pyarrow.parquet as pq

    export_data(run, "jsonl", run / "a.jsonl")
    rows = _jsonl(run / "a.jsonl")
    assert [{f: r[f] for f in INSTRUCTION_FIELDS} for r in rows] == records
    assert all("label" not in r for r in rows)
    export_data(run, "csv", run / "a.csv")
    with open(run / "a.csv", encoding="utf-8", newline="") as fh:
        csv_rows = list(csv.DictReader(fh))
    assert [{f: r[f] for f in INSTRUCTION_FIELDS} for r in csv_rows] == records
    export_data(run, "parquet", run / "a.parquet")
    schema = pq.read_table(run / "a.parquet").schema
    assert [str(schema.field(f).type) for f in INSTRUCTION_FIELDS] == ["string"] * 3
    assert "label" not in schema.names
    export_data(run, "hf", run / "hf")
    ds = datasets.load_from_disk(str(run / "hf"))
    assert [ds.features[f] for f in INSTRUCTION_FIELDS] == [datasets.Value("string")] * 3
    assert ds["output"] == [r["output"] for r in records]


def test_alpaca_rows_are_exactly_the_stored_records(run):
    result = export_data(run, "alpaca")
    assert result.target == run / "samples.alpaca.jsonl"
    rows = _jsonl(result.target)
    assert rows == _stored(run)
    assert all(list(r) == list(INSTRUCTION_FIELDS) for r in rows)  # nothing else, in order


def test_messages_rows_are_user_and_assistant_turns_that_datasets_reads(run, records):
    import datasets

    result = export_data(run, "messages")
    assert result.target == run / "samples.messages.jsonl"
    rows = _jsonl(result.target)
    for row, rec in zip(rows, records, strict=True):
        assert list(row) == ["messages"]
        user = rec["instruction"] + (f"\n\n{rec['input']}" if rec["input"] else "")
        assert row["messages"] == [
            {"role": "user", "content": user},
            {"role": "assistant", "content": rec["output"]},
        ]
    ds = datasets.load_dataset("json", data_files={"train": str(result.target)})["train"]
    assert len(ds) == N
    assert ds[0]["messages"][1] == {"role": "assistant", "content": records[0]["output"]}
    assert user_content("Do it.", "") == "Do it." and user_content("Do it.", "x") == "Do it.\n\nx"


def test_a_system_turn_comes_first_with_system(run, records):
    result = export_data(run, "messages", system="You are a helpful assistant.")
    rows = _jsonl(result.target)
    assert [t["role"] for t in rows[0]["messages"]] == ["system", "user", "assistant"]
    assert rows[0]["messages"][0]["content"] == "You are a helpful assistant."
    with pytest.raises(SynloomError, match="--system adds a system turn to --format messages"):
        export_data(run, "alpaca", system="x")


def test_the_embedded_tokenizer_formats_a_messages_row_with_its_chat_template(run, records):
    """What TRL's SFTTrainer does with conversational rows: `apply_chat_template` (trl itself is
    not installed here)."""
    from transformers import AutoTokenizer

    from synloom.backends.embedded import embedded_model_dir

    tok = AutoTokenizer.from_pretrained(embedded_model_dir())
    row = _jsonl(export_data(run, "messages").target)[1]
    text = tok.apply_chat_template(row["messages"], tokenize=False)
    rec = records[1]
    assert text.index(rec["instruction"]) < text.index(rec["output"])
    assert text.count("<|im_start|>assistant") == 1 and rec["output"] in text


def test_an_unlabeled_run_splits_at_random_with_the_seed(run):
    one = export_data(run, "alpaca", run / "x.jsonl", split=0.4, split_seed=7)
    again = export_data(run, "jsonl", run / "y.jsonl", split=0.4, split_seed=7)
    assert one.split_sizes == {"train": 4, "validation": 2}  # round(0.4 x 6)
    assert one.splits == again.splits  # the same rows whatever the format
    validation = _jsonl(run / "x-validation.jsonl")
    stored = _stored(run)
    assert validation == [stored[i] for i in one.splits["validation"]]
    assert random_split(N, 0.4, 7) == (one.splits["train"], one.splits["validation"])
    assert random_split(N, 0.4, 7) != random_split(N, 0.4, 8)
    with pytest.raises(SynloomError, match="needs at least 2"):
        random_split(1, 0.5, 0)


def test_the_cli_writes_alpaca_with_its_card(run):
    result = run_cli("export", run, "--format", "alpaca", "--split", "0.4")
    assert result.returncode == 0, result.stderr
    assert "samples.alpaca-train.jsonl" in result.stdout
    card = run / "samples.alpaca.jsonl.README.md"
    front, body = read_card(card)
    assert front["task_categories"] == ["text-generation"]
    assert front["dataset_info"]["features"] == [
        {"name": f, "dtype": "string"} for f in INSTRUCTION_FIELDS
    ]
    assert "label" not in body.split("## Loading")[1].split("##")[0]  # no cast, no stratify
    assert "a seeded, random 0.4 share" in body
    result = run_cli("export", run, "--format", "messages", "--system", "Be brief.")
    assert result.returncode == 0, result.stderr
    front, _ = read_card(run / "samples.messages.jsonl.README.md")
    messages = [{"name": "role", "dtype": "string"}, {"name": "content", "dtype": "string"}]
    assert front["dataset_info"]["features"] == [{"name": "messages", "list": messages}]


@pytest.mark.parametrize("fmt", ["alpaca", "messages"])
def test_instruction_formats_of_a_classification_run_are_one_line(tmp_path, datasets_dir, fmt):
    labeled = make_export_run(tmp_path / "run", datasets_dir, per_label=2)
    before = files_of(tmp_path)
    result = run_cli("export", labeled, "--format", fmt)
    assert result.returncode == 2
    lines = error_lines(result.stderr)
    assert len(lines) == 1 and lines[0].startswith(f"error: --format {fmt} needs instruction data")
    assert files_of(tmp_path) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "alpaca", "--rejected"], "error: --rejected exports rows for inspection"),
        (["--format", "jsonl", "--system", "x"], "error: --system adds a system turn"),
    ],
)
def test_bad_instruction_options_are_one_line(run, args, message):
    before = files_of(run)
    result = run_cli("export", run, *args)
    assert result.returncode == 2
    lines = error_lines(result.stderr)
    assert len(lines) == 1 and lines[0].startswith(message), result.stderr
    assert files_of(run) == before
