"""Task models say how many inputs their encoder truncated (issue 9 item 10)."""

from __future__ import annotations

from synloom.testing.long_reviews import long_reviews
from synloom.train.data import LabeledData


def _long_data(datasets_dir) -> LabeledData:
    rows = long_reviews(datasets_dir, 8, n_long=2)
    return LabeledData(texts=tuple(r["text"] for r in rows), labels=tuple(r["label"] for r in rows))


def test_finetune_counts_inputs_cut_to_max_length(datasets_dir):
    from synloom.train.finetune import FineTuneClassifier

    data = _long_data(datasets_dir)
    short = LabeledData(texts=("good .", "bad ."), labels=("positive", "negative"))
    model = FineTuneClassifier(max_length=32, epochs=1, batch_size=4, device="cpu")
    model.fit(data, seed=0)
    lengths = [len(ids) for ids in model.tokenizer_(list(data.texts))["input_ids"]]
    assert max(lengths) > 1000
    assert model.describe()["truncation"]["train"] == {
        "n_truncated": sum(n > 32 for n in lengths),
        "n_total": 8,
        "max_tokens": 32,
    }
    proba = model.predict_proba(list(short.texts) + list(data.texts[:1]))
    assert proba.shape == (3, 2)
    assert model.describe()["truncation"]["predict"]["n_truncated"] == 1


def test_embedding_logreg_counts_texts_over_max_seq_length(datasets_dir):
    from synloom.train.embedding_lr import EmbeddingLogReg

    data = _long_data(datasets_dir)
    model = EmbeddingLogReg().fit(data, seed=0)
    train_cut = model.describe()["truncation"]["train"]
    assert train_cut["n_total"] == 8 and train_cut["n_truncated"] >= 2
    model.predict(["a fine film ."])
    assert model.describe()["truncation"]["predict"] == {
        "n_truncated": 0,
        "n_total": 1,
        "max_tokens": 256,
    }
