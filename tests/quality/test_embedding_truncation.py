"""MiniLM embeddings: token-bounded batches give the model's own vectors; truncation is counted."""

from __future__ import annotations

import numpy as np

from synloom.testing.long_reviews import long_reviews


def test_long_real_reviews_are_counted_and_embedded_as_the_model_does(datasets_dir):
    from synloom.embeddings import embed_with_truncation, load_embedder

    texts = [r["text"] for r in long_reviews(datasets_dir, 10)]
    vectors, cut = embed_with_truncation(texts, token_budget=1024)
    model = load_embedder()
    lengths = [len(ids) for ids in model.tokenizer(texts)["input_ids"]]
    over = tuple(i for i, n in enumerate(lengths) if n > model.max_seq_length)
    assert len(over) >= 3
    assert (cut.n_truncated, cut.n_total, cut.indices) == (len(over), 10, over)
    assert cut.max_tokens == model.max_seq_length
    # same vectors as the model's own encode in its own batches, in input order
    direct = model.encode(texts, batch_size=64, normalize_embeddings=True)
    np.testing.assert_allclose(vectors, direct, atol=1e-5)
