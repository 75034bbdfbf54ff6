"""Sentence embeddings on Ray Data: what `synloom score --executor ray` and `synloom curate
--executor ray` run on a cluster instead of in this process.

The texts become a Ray dataset of fixed-size blocks (`ray.data.from_arrow`, one block per
`batch_size` texts, each row carrying its position), `map_batches` runs them through a callable
class that loads the MiniLM embedder once per worker (a pool of `workers` actors, one CPU each,
and a share of the cluster's GPUs when it has some), and the driver puts every returned batch at its positions in one
preallocated array: the result is in input order and equal, to float rounding, to
`synloom.embeddings.embed_texts` of the same texts (a batch's padding differs from the local
path's, nothing else). The driver stays the only writer of the run store; the workers only
compute.

Which cluster: the one this process is connected to, else the one `RAY_ADDRESS` names, else a
local one started for the command and shut down after it (as the generation executor,
`synloom.generate.ray_executor`). Ray Data: Moritz et al., "Ray: A Distributed Framework for
Emerging AI Applications", OSDI 2018; Luan et al., "Exoshuffle", SIGCOMM 2023 (its streaming
executor).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from synloom.embeddings import DEFAULT_EMBEDDER
from synloom.errors import SynloomError
from synloom.extras import missing_extra
from synloom.progress import step

EXECUTORS = ("local", "ray")
DEFAULT_WORKERS = 2
EMBED_BATCH = 256  # texts per map_batches call (and per block)


def check_executor(executor: str, workers: int = DEFAULT_WORKERS) -> str:
    """`executor` when it is one synloom knows and `workers` >= 1, else the one-line error."""
    if executor not in EXECUTORS:
        raise SynloomError(f"unknown executor {executor!r}; choose from {', '.join(EXECUTORS)}")
    if workers < 1:
        raise SynloomError(f"ray workers must be >= 1, got {workers}")
    return executor


@contextmanager
def ray_session() -> Iterator[Any]:
    """The `ray` module, connected: to the cluster of an earlier `ray.init`, else `RAY_ADDRESS`'s
    (ray.init reads it), else a local one started here and shut down on exit. A missing `ray` is
    the one-line error naming the extra."""
    from synloom.generate.ray_executor import import_ray

    ray = import_ray()
    own = not ray.is_initialized()
    if own:
        ray.init(include_dashboard=False, logging_level=logging.WARNING, log_to_driver=False)
    try:
        try:
            from ray.data import DataContext
        except ImportError as exc:  # ray without its `data` extra (pandas, pyarrow)
            raise (missing_extra(exc, "ray") or exc) from None
        context = DataContext.get_current()
        context.execution_options.preserve_order = True
        context.enable_progress_bars = False  # progress is synloom's (synloom.progress)
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        yield ray
    finally:
        if own:
            ray.shutdown()


@contextmanager
def executor_session(executor: str) -> Iterator[Any]:
    """None for the local executor; for `ray`, the connected `ray` module (`ray_session`)."""
    if executor == "local":
        yield None
        return
    with ray_session() as ray:
        yield ray


def arrow_blocks(columns: dict[str, Any], block_rows: int) -> list[Any]:
    """`columns` (equal-length sequences; 2-D arrays become tensor columns) as pyarrow tables of
    at most `block_rows` rows each: one Ray Data block each, so the workers share the work."""
    import numpy as np
    import pyarrow as pa
    from ray.data.extensions import ArrowTensorArray

    n = len(next(iter(columns.values())))
    tables = []
    for start in range(0, n, block_rows):
        part = {}
        for name, values in columns.items():
            chunk = values[start : start + block_rows]
            if isinstance(chunk, np.ndarray) and chunk.ndim == 2:
                part[name] = ArrowTensorArray.from_numpy(np.ascontiguousarray(chunk))
            else:
                part[name] = pa.array(list(chunk) if not isinstance(chunk, np.ndarray) else chunk)
        tables.append(pa.table(part))
    return tables


def worker_options(ray: Any, workers: int) -> dict[str, Any]:
    """`map_batches` options: a pool of `workers` actors of one CPU each and, when the cluster has
    GPUs, an equal share of them (at most one each; the embedder then runs on it)."""
    gpus = ray.cluster_resources().get("GPU", 0)
    return {
        "compute": ray.data.ActorPoolStrategy(size=workers),
        "num_cpus": 1,
        "num_gpus": min(1.0, gpus / workers) if gpus else 0,
    }


class EmbedBatches:
    """The map_batches worker: embeds a batch of texts with the embedder it loaded on its first
    batch (`load_embedder` keeps it for the worker's life)."""

    def __call__(self, batch: dict[str, Any], name: str = DEFAULT_EMBEDDER) -> dict[str, Any]:
        from synloom.embeddings import embed_texts

        return {"i": batch["i"], "embedding": embed_texts(list(batch["text"]), name)}


class RayEmbedder:
    """A drop-in for `embed_texts` (texts -> (n, d) float32, input order) that embeds on Ray Data
    with `workers` workers; use it inside `ray_session()`."""

    def __init__(
        self,
        workers: int = DEFAULT_WORKERS,
        batch_size: int = EMBED_BATCH,
        name: str = DEFAULT_EMBEDDER,
    ):
        check_executor("ray", workers)
        self.workers, self.batch_size, self.name = workers, batch_size, name

    def __call__(self, texts: Sequence[str]) -> Any:
        import numpy as np

        from synloom.generate.ray_executor import import_ray

        ray = import_ray()
        if len(texts) == 0:
            from synloom.embeddings import embed_texts

            return embed_texts([], self.name)
        # blocks of at most batch_size texts, and at least one block per worker
        size = max(1, min(self.batch_size, -(-len(texts) // self.workers)))
        ds = ray.data.from_arrow(
            arrow_blocks({"i": np.arange(len(texts)), "text": list(texts)}, size)
        )
        ds = ds.map_batches(
            EmbedBatches,
            fn_kwargs={"name": self.name},
            batch_size=size,
            batch_format="numpy",
            **worker_options(ray, self.workers),
        )
        out = None
        with step("embedding on Ray", len(texts), "texts") as progress:
            for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
                emb = np.asarray(batch["embedding"], dtype=np.float32)
                if out is None:
                    out = np.zeros((len(texts), emb.shape[1]), np.float32)
                out[batch["i"]] = emb
                progress.advance(len(emb))
        return out
