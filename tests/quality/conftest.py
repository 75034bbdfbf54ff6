"""Real-data fixtures for the quality metric tests (SST-2, Rotten Tomatoes, TREC)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import read_jsonl


@pytest.fixture(scope="session")
def sst2_test(datasets_dir) -> list[dict]:
    return read_jsonl(datasets_dir / "sst2" / "test.jsonl")


@pytest.fixture(scope="session")
def sst2_validation(datasets_dir) -> list[dict]:
    return read_jsonl(datasets_dir / "sst2" / "validation.jsonl")


@pytest.fixture(scope="session")
def sst2_train_sentences(datasets_dir) -> list[dict]:
    return read_jsonl(datasets_dir / "sst2" / "train_sentences.jsonl")


@pytest.fixture(scope="session")
def sst2_train_phrases(datasets_dir) -> list[dict]:
    return read_jsonl(datasets_dir / "sst2" / "train.jsonl")


@pytest.fixture(scope="session")
def rt_train(datasets_dir) -> list[dict]:
    return read_jsonl(datasets_dir / "rotten_tomatoes" / "train.jsonl")


@pytest.fixture(scope="session")
def trec_train(datasets_dir) -> list[dict]:
    return read_jsonl(datasets_dir / "trec" / "train.jsonl")


def _every(rows: list[dict], k: int, n: int) -> list[dict]:
    """n rows spread over the file (every k-th), so both labels of ordered files appear."""
    return rows[::k][:n]


@pytest.fixture(scope="session")
def embedded_sets(sst2_test, sst2_validation, rt_train, trec_train) -> dict:
    """MiniLM embeddings of small real sets, computed once per session (about 1,700 texts)."""
    from synloom.embeddings import embed_texts

    sets = {
        "sst2_test": sst2_test[:600],
        "sst2_val": sst2_validation[:300],
        "rt": _every(rt_train, 17, 500),
        "trec": _every(trec_train, 18, 300),
    }
    out = {}
    for name, rows in sets.items():
        texts = [r["text"] for r in rows]
        out[name] = {
            "texts": texts,
            "labels": [r["label"] for r in rows],
            "emb": np.asarray(embed_texts(texts)),
        }
    return out
