from __future__ import annotations

import json

import pytest

from synloom.errors import SynloomError
from synloom.train.data import LabeledData, load_labeled_data


def test_from_jsonl_reads_real_sst2_test(datasets_dir):
    data = LabeledData.from_jsonl(datasets_dir / "sst2/test.jsonl")
    assert len(data) == 1821
    assert data.label_counts() == {"negative": 912, "positive": 909}
    assert data.label_names == ["negative", "positive"]
    assert not data.is_pair and data.weights is None


def test_records_detect_pair_and_weight_fields():
    rows = [
        {"sentence1": "a cat sits", "sentence2": "a cat is sitting", "label": "yes", "weight": 0.5},
        {"sentence1": "a dog runs", "sentence2": "it rains", "label": "no", "weight": 2},
    ]
    data = LabeledData.from_records(rows)
    assert data.texts_b == ("a cat is sitting", "it rains")
    assert data.weights == (0.5, 2.0)
    again = LabeledData.from_records(data.to_records())
    assert again == data


def test_integer_labels_map_through_label_names():
    data = LabeledData.from_records(
        [{"text": "x", "label": 1}, {"text": "y", "label": 0}], label_names=["neg", "pos"]
    )
    assert data.labels == ("pos", "neg")
    with pytest.raises(SynloomError, match="outside"):
        LabeledData.from_records([{"text": "x", "label": 2}], label_names=["neg", "pos"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"texts": ("a", "b"), "labels": ("x",)}, "2 texts but 1 labels"),
        ({"texts": ("a",), "labels": ("x",), "weights": (-1.0,)}, "finite and >= 0"),
        ({"texts": ("a",), "labels": ("x",), "texts_b": ()}, "second texts"),
        ({"texts": ("a",), "labels": ("",)}, "non-empty string"),
    ],
)
def test_invalid_data_is_rejected(kwargs, message):
    with pytest.raises(SynloomError, match=message):
        LabeledData(**kwargs)


def test_missing_fields_and_bad_json_name_the_problem(tmp_path):
    with pytest.raises(SynloomError, match="no label field"):
        LabeledData.from_records([{"text": "a"}])
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"text": "a", "label": "x"}) + "\n{oops\n", encoding="utf-8")
    with pytest.raises(SynloomError, match=r"bad.jsonl:2"):
        LabeledData.from_jsonl(path)
    with pytest.raises(SynloomError, match="no such JSONL"):
        LabeledData.from_jsonl(tmp_path / "missing.jsonl")


def test_hf_dataset_class_labels_and_saved_dir(tmp_path, datasets_dir):
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

    rows = LabeledData.from_jsonl(datasets_dir / "trec/test.jsonl").subset(range(50))
    names = rows.label_names
    features = Features({"text": Value("string"), "label": ClassLabel(names=names)})
    ds = Dataset.from_dict(
        {"text": list(rows.texts), "label": [names.index(y) for y in rows.labels]},
        features=features,
    )
    data = LabeledData.from_hf(ds)
    assert data.labels == rows.labels and data.texts == rows.texts

    DatasetDict({"train": ds, "test": ds.select(range(5))}).save_to_disk(tmp_path / "dd")
    assert len(load_labeled_data(tmp_path / "dd")) == 50
    assert len(load_labeled_data(tmp_path / "dd", split="test")) == 5
    with pytest.raises(SynloomError, match="choose a split"):
        LabeledData.from_hf(DatasetDict({"a": ds, "b": ds}))


def test_load_labeled_data_dispatches(tmp_path, datasets_dir):
    src = datasets_dir / "rotten_tomatoes/test.jsonl"
    from_path = load_labeled_data(src)
    assert len(from_path) == 1066
    assert load_labeled_data(from_path) is from_path
    assert load_labeled_data(from_path.to_records()[:3]).texts == from_path.texts[:3]
    with pytest.raises(SynloomError, match="cannot read"):
        load_labeled_data(42)


def test_from_run_reads_accepted_samples_and_curation_weights(tmp_path, datasets_dir):
    from synloom.store import PlannedRequest, RunStore

    real = LabeledData.from_jsonl(datasets_dir / "sst2/test.jsonl").subset(range(3))
    with RunStore(tmp_path / "run", create=True) as store:
        store.add_round(
            "sample",
            0,
            [
                PlannedRequest(f"r{i}", "sample", 0, i, 0, label, "p", None, i, {}, {"weight": i})
                for i, label in enumerate(real.labels)
            ],
        )
        with store.transaction():
            for i, text in enumerate(real.texts):
                status = "rejected" if i == 0 else "accepted"
                store.record_output(
                    f"r{i}",
                    {
                        "raw_text": text,
                        "completion": text,
                        "finish_reason": "stop",
                        "n_tokens": 1,
                        "status": status,
                        "text": text,
                    },
                )
    data = load_labeled_data(tmp_path / "run")
    assert data.texts == real.texts[1:] and data.labels == real.labels[1:]
    assert data.weights == (1.0, 2.0)
    with pytest.raises(SynloomError, match="not a synloom run"):
        LabeledData.from_run(tmp_path)
