"""Seeds and contexts from files (issue 15, item 1): `seed_examples_file` and `contexts_file` read
CSV, TSV, JSONL, Parquet and saved HF datasets with a column mapping; integer labels index the
spec's labels (an HF ClassLabel's by its names); extra columns are ignored. Loaded seeds are the
spec's `seed_examples`: same fingerprint and the same planned run as the seeds written inline."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml

from synloom.errors import SpecError
from synloom.generate import run_generation
from synloom.generate.manifest import spec_hash
from synloom.spec import TaskSpec, dump_spec, load_spec, parse_spec
from synloom.spec.fingerprint import contexts_sha256, data_fingerprint
from tests.conftest import read_jsonl
from tests.fakes import FakeBackend
from tests.helpers import run_cli
from tests.recipes.reference import FAKE_SPECS, FAKE_VOCAB, dump_run

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EQUIVALENCE_DATA = Path(__file__).resolve().parents[1] / "recipes" / "data"
SST2_LABELS = ["negative", "positive"]  # the order of SST-2's own 0/1 labels


@pytest.fixture(scope="module")
def sst2_rows(datasets_dir) -> list[dict]:
    """40 real SST-2 validation rows (text, label name)."""
    rows = read_jsonl(datasets_dir / "sst2" / "validation.jsonl", limit=40)
    assert {r["label"] for r in rows} == set(SST2_LABELS)
    return rows


def write_csv(path: Path, rows: list[dict], labels: list[str], override=None) -> Path:
    """Columns id (extra), review, sentiment (the label's index in `labels`), source (extra)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["id", "review", "sentiment", "source"])
        for i, r in enumerate(rows):
            row = [i, r["text"], labels.index(r["label"]), "sst2-validation"]
            out.writerow((override or {}).get(i, row))
    return path


def write_spec(folder: Path, labels: list[str], seed_file, **extra) -> Path:
    data = {
        "labels": [{"name": n} for n in labels],
        "seed_examples_file": seed_file,
        "recipe": {"type": "fewshot", "k": 2, "prompt": 'A {verbalizer} movie review: "'},
        **extra,
    }
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def seeds_of(spec: TaskSpec) -> list[tuple]:
    return [(e.text, e.label, e.text_b) for e in spec.seed_examples]


def wanted(rows: list[dict]) -> list[tuple]:
    return [(r["text"], r["label"], None) for r in rows]


def test_csv_with_integer_labels_and_an_extra_column(tmp_path, sst2_rows):
    write_csv(tmp_path / "seeds.csv", sst2_rows, SST2_LABELS)
    mapping = {"path": "seeds.csv", "text": "review", "label": "sentiment"}
    spec = load_spec(write_spec(tmp_path, SST2_LABELS, mapping))
    assert seeds_of(spec) == wanted(sst2_rows)
    assert spec.seed_examples_file.path == str(tmp_path / "seeds.csv")  # resolved
    # an integer indexes the spec's labels in their order: listing them the other way round flips
    flipped = load_spec(write_spec(tmp_path, SST2_LABELS[::-1], mapping))
    other = {"negative": "positive", "positive": "negative"}
    assert [e.label for e in flipped.seed_examples] == [other[r["label"]] for r in sst2_rows]


def test_jsonl_with_label_names_by_a_plain_path(tmp_path, sst2_rows):
    with open(tmp_path / "seeds.jsonl", "w", encoding="utf-8") as fh:
        for i, r in enumerate(sst2_rows):
            fh.write(json.dumps({"idx": i, **r, "note": None}) + "\n")
    spec = load_spec(write_spec(tmp_path, SST2_LABELS[::-1], "seeds.jsonl"))
    assert seeds_of(spec) == wanted(sst2_rows)  # names are names, whatever the labels' order


def test_parquet_and_saved_hf_dataset(tmp_path, sst2_rows):
    import pyarrow as pa
    import pyarrow.parquet as pq
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

    table = {
        "sentence": [r["text"] for r in sst2_rows],
        "label": [SST2_LABELS.index(r["label"]) for r in sst2_rows],
        "idx": list(range(len(sst2_rows))),
    }
    pq.write_table(pa.table(table), tmp_path / "plain.parquet")
    features = Features(
        {"sentence": Value("string"), "label": ClassLabel(names=SST2_LABELS), "idx": Value("int32")}
    )
    data = Dataset.from_dict(table, features=features)
    data.save_to_disk(str(tmp_path / "hf"))
    data.to_parquet(str(tmp_path / "hf.parquet"))
    DatasetDict({"train": data, "test": data.select(range(5))}).save_to_disk(str(tmp_path / "dd"))

    def load(labels, path):
        return load_spec(write_spec(tmp_path, labels, {"path": path, "text": "sentence"}))

    assert seeds_of(load(SST2_LABELS, "plain.parquet")) == wanted(sst2_rows)
    # A ClassLabel's ints are its own names, matched by name: the spec's order does not matter.
    for path in ("hf", "hf.parquet", "dd/train"):
        assert seeds_of(load(SST2_LABELS[::-1], path)) == wanted(sst2_rows), path
    with pytest.raises(SpecError, match=r"holds the splits train, test; name one as its folder"):
        load(SST2_LABELS, "dd")


def test_a_file_gives_the_fingerprint_of_the_same_seeds_inline(tmp_path, sst2_rows):
    write_csv(tmp_path / "seeds.csv", sst2_rows, SST2_LABELS)
    mapping = {"path": "seeds.csv", "text": "review", "label": "sentiment"}
    from_file = load_spec(write_spec(tmp_path, SST2_LABELS, mapping))
    inline = yaml.safe_load((tmp_path / "spec.yaml").read_text())
    del inline["seed_examples_file"]
    inline["seed_examples"] = [{"text": r["text"], "label": r["label"]} for r in sst2_rows]
    inline = parse_spec(inline)
    assert data_fingerprint(from_file) == data_fingerprint(inline)
    assert spec_hash(from_file) == spec_hash(inline)
    # a spec that names no file has no trace of the new fields in its fingerprint
    plain = data_fingerprint(load_spec(EXAMPLES / "sst2_fewshot.yaml"))
    assert "seed_examples_file" not in plain and "contexts_column" not in plain["recipe"]


def test_seeds_and_contexts_from_files_plan_the_recorded_run(tmp_path):
    """The recorded fewshot run (tests/recipes/data) again, its seeds from a CSV with 0/1 labels
    and its contexts from a Parquet column: the same requests, prompts and accepted samples."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = json.loads(json.dumps(FAKE_SPECS["fewshot_ratio"]))
    names = [label["name"] for label in data["labels"]]
    rows = [{"text": s["text"], "label": s["label"]} for s in data.pop("seed_examples")]
    write_csv(tmp_path / "seeds.csv", rows, names)
    data["seed_examples_file"] = {"path": "seeds.csv", "text": "review", "label": "sentiment"}
    scenes = data["recipe"].pop("contexts")
    pq.write_table(pa.table({"n": list(range(3)), "scene": scenes}), tmp_path / "ctx.parquet")
    data["recipe"]["contexts_file"] = {"path": "ctx.parquet", "column": "scene"}
    spec = parse_spec(data, base_dir=tmp_path)
    run_generation(spec, tmp_path / "run", backend=FakeBackend(vocab=FAKE_VOCAB["fewshot_ratio"]))
    want = json.loads((EQUIVALENCE_DATA / "fewshot_ratio.json").read_text(encoding="utf-8"))
    assert dump_run(tmp_path / "run") == want


def test_pair_contexts_from_a_saved_dataset_plan_the_recorded_run(tmp_path):
    from datasets import Dataset

    data = json.loads(json.dumps(FAKE_SPECS["zerogen_pair"]))
    premises = data["recipe"].pop("contexts")
    Dataset.from_dict({"premise": premises, "id": [1, 2, 3]}).save_to_disk(str(tmp_path / "p"))
    data["recipe"] |= {"contexts_file": "p", "contexts_column": "premise"}
    spec = parse_spec(data, base_dir=tmp_path)
    digest = contexts_sha256(spec)
    assert digest == contexts_sha256(parse_spec(data, base_dir=tmp_path))
    run_generation(spec, tmp_path / "run", backend=FakeBackend(vocab=FAKE_VOCAB["zerogen_pair"]))
    want = json.loads((EQUIVALENCE_DATA / "zerogen_pair.json").read_text(encoding="utf-8"))
    assert dump_run(tmp_path / "run") == want
    Dataset.from_dict({"premise": premises[::-1], "id": [1, 2, 3]}).save_to_disk(
        str(tmp_path / "q")
    )
    assert (
        contexts_sha256(
            parse_spec(
                data | {"recipe": data["recipe"] | {"contexts_file": "q"}}, base_dir=tmp_path
            )
        )
        != digest
    )


def test_max_per_label_is_a_seeded_sample_in_file_order(tmp_path, sst2_rows):
    write_csv(tmp_path / "seeds.csv", sst2_rows, SST2_LABELS)
    mapping = {"path": "seeds.csv", "text": "review", "label": "sentiment", "max_per_label": 3}
    first = seeds_of(load_spec(write_spec(tmp_path, SST2_LABELS, mapping)))
    assert first == seeds_of(load_spec(write_spec(tmp_path, SST2_LABELS, mapping)))
    assert sorted(label for _, label, _ in first) == ["negative"] * 3 + ["positive"] * 3
    order = [(r["text"], r["label"], None) for r in sst2_rows]
    assert [order.index(s) for s in first] == sorted(order.index(s) for s in first)
    reseeded = seeds_of(load_spec(write_spec(tmp_path, SST2_LABELS, mapping | {"sample_seed": 1})))
    assert reseeded != first and len(reseeded) == 6


def test_a_loaded_spec_survives_dump_overrides_and_its_stored_copy(tmp_path, sst2_rows):
    from synloom.cli.overrides import apply_overrides
    from synloom.spec.io import spec_to_dict

    write_csv(tmp_path / "seeds.csv", sst2_rows, SST2_LABELS)
    spec = load_spec(
        write_spec(
            tmp_path, SST2_LABELS, {"path": "seeds.csv", "text": "review", "label": "sentiment"}
        )
    )
    (tmp_path / "again.yaml").write_text(dump_spec(spec))
    assert load_spec(tmp_path / "again.yaml") == spec
    assert apply_overrides(spec, seed=9).seed_examples == spec.seed_examples
    stored = spec_to_dict(spec)  # what a run's manifest keeps
    (tmp_path / "seeds.csv").unlink()
    assert parse_spec(stored, check_files=False) == spec  # the seeds travel with the run


@pytest.mark.parametrize(
    ("seed_file", "extra", "needle"),
    [
        ("seeds.xlsx", {}, "seeds.xlsx: unknown format; use CSV"),
        ("gone.csv", {}, "seed_examples_file: file not found"),
        ("../outside.csv", {}, "is outside the spec's folder"),
        ({"path": "seeds.csv", "txt": "review"}, {}, "seed_examples_file.txt: unknown field"),
        (
            {"path": "seeds.csv", "text": "review", "label": "sentiment", "max_per_label": 0},
            {},
            "seed_examples_file.max_per_label",
        ),
        (
            {"path": "seeds.csv", "text": "review", "label": "sentiment"},
            {"seed_examples": [{"text": "a fine film", "label": "positive"}]},
            "give seed_examples or seed_examples_file, not both",
        ),
    ],
)
def test_bad_seed_files_are_one_line_spec_errors(tmp_path, sst2_rows, seed_file, extra, needle):
    folder = tmp_path / "spec"
    folder.mkdir()
    write_csv(folder / "seeds.csv", sst2_rows, SST2_LABELS)
    (folder / "seeds.xlsx").write_bytes(b"PK\x03\x04")
    write_csv(tmp_path / "outside.csv", sst2_rows, SST2_LABELS)
    with pytest.raises(SpecError) as info:
        load_spec(write_spec(folder, SST2_LABELS, seed_file, **extra))
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_a_spec_built_in_code_does_not_silently_drop_the_file():
    with pytest.raises(ValueError, match="read only when a spec is loaded with"):
        TaskSpec(labels=[{"name": n} for n in SST2_LABELS], seed_examples_file="seeds.csv")


@pytest.mark.parametrize(
    ("mapping", "override", "needle"),
    [
        (
            {"text": "reviewz"},
            {},
            "no column 'reviewz'; its columns are id, review, sentiment, source",
        ),
        ({}, {2: [2, "a fine film", 2, "x"]}, "row 3: label 2 is out of range: an integer label"),
        ({}, {4: [4, "a fine film", "neutral", "x"]}, "row 5: unknown label 'neutral'; labels are"),
        ({}, {1: [1, "  ", 0, "x"]}, "row 2: column 'review' must hold non-blank text"),
    ],
)
def test_cli_refuses_a_bad_column_or_label_in_one_line(
    tmp_path, sst2_rows, mapping, override, needle
):
    write_csv(tmp_path / "seeds.csv", sst2_rows, SST2_LABELS, override)
    seed_file = {"path": "seeds.csv", "text": "review", "label": "sentiment"} | mapping
    spec = write_spec(tmp_path, SST2_LABELS, seed_file)
    result = run_cli("generate", spec, "--out", tmp_path / "run", timeout=120)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert f"{spec}: seed_examples_file: {tmp_path / 'seeds.csv'}" in lines[0]
    assert needle in lines[0]
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    ("contexts_file", "content", "needle"),
    [
        ({"path": "ctx.txt", "column": "text"}, "one\ntwo\n", "a plain-text contexts file has no"),
        (
            {"path": "ctx.csv", "colum": "text"},
            "text\none\n",
            "takes `path` and optionally `column`",
        ),
        ("ctx.csv", "premise\none\n", "no column 'text'; its columns are premise"),
        ({"path": "ctx.csv", "column": "premise"}, 'premise\none\n""\n', "row 2: `premise` must"),
    ],
)
def test_bad_contexts_files_are_one_line_spec_errors(tmp_path, contexts_file, content, needle):
    name = contexts_file if isinstance(contexts_file, str) else contexts_file["path"]
    (tmp_path / name).write_text(content, encoding="utf-8")
    data = {
        "labels": [{"name": n} for n in SST2_LABELS],
        "recipe": {"prompt": "{context} {label}", "contexts_file": contexts_file},
    }
    with pytest.raises(SpecError) as info:
        parse_spec(data, base_dir=tmp_path)
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_contexts_from_a_tsv_column(tmp_path, sst2_rows):
    from synloom.recipes.prompted import load_contexts

    with open(tmp_path / "ctx.tsv", "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, delimiter="\t")
        out.writerow(["label", "sentence"])
        out.writerows([r["label"], r["text"]] for r in sst2_rows)
    data = {
        "labels": [{"name": n} for n in SST2_LABELS],
        "recipe": {
            "prompt": "{context} {label}",
            "contexts_file": {"path": "ctx.tsv", "column": "sentence"},
        },
    }
    spec = parse_spec(data, base_dir=tmp_path)
    assert spec.recipe.contexts_column == "sentence"
    assert load_contexts(spec.recipe) == [r["text"] for r in sst2_rows]


def test_a_missing_extra_is_named(tmp_path, monkeypatch, sst2_rows):
    import synloom.spec.tables as tables

    def refuse(name):
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)

    (tmp_path / "seeds.parquet").write_bytes(b"PAR1")
    monkeypatch.setattr(tables, "import_module", refuse)
    with pytest.raises(
        SpecError, match=r"pyarrow is not installed; it comes with the 'train' extra"
    ):
        load_spec(write_spec(tmp_path, SST2_LABELS, "seeds.parquet"))


def test_the_csv_example_holds_real_sst2_training_sentences(datasets_dir):
    """examples/sst2_fewshot_csv.yaml: 16 seeds whose 0/1 labels, mapped through the spec's label
    order, are the labels SST-2 gives those sentences (`source_line` of train_sentences.jsonl)."""
    spec = load_spec(EXAMPLES / "sst2_fewshot_csv.yaml")
    train = read_jsonl(datasets_dir / "sst2" / "train_sentences.jsonl", limit=100)
    with open(EXAMPLES / "sst2_seeds.csv", encoding="utf-8") as fh:
        lines = [int(row["source_line"]) for row in csv.DictReader(fh)]
    assert len(spec.seed_examples) == len(lines) == 16
    for seed, line in zip(spec.seed_examples, lines, strict=True):
        assert (seed.text, seed.label) == (train[line - 1]["text"], train[line - 1]["label"])
    assert {e.label for e in spec.seed_examples} == {"negative", "positive"}
