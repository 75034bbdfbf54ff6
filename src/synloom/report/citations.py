"""The papers behind the methods a run used, read from where each method cites them: a recipe's
module docstring (its first parenthesised reference with a year), a curation method's
`MethodInfo.citation`, a quality metric's `MetricInfo.citation`, and self-debiasing decoding's
module docstring. A dataset card lists them."""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

# "(... 2022)" with at most one nested pair of parentheses, holding a year.
_REFERENCE = re.compile(r"\(((?:[^()]|\([^()]*\))*?\b(?:19|20)\d\d\b(?:[^()]|\([^()]*\))*)\)")


def doc_reference(doc: str | None) -> str | None:
    """The first parenthesised reference with a year in a docstring, whitespace collapsed."""
    if not doc:
        return None
    match = _REFERENCE.search(doc)
    return " ".join(match.group(1).split()) if match else None


def _module_reference(module: str) -> str | None:
    """The reference in one of synloom's own modules, read from its source (importing
    `self_debias` would load torch just for a docstring)."""
    import synloom

    path = Path(synloom.__file__).parent.joinpath(*module.split(".")[1:]).with_suffix(".py")
    try:
        return doc_reference(ast.get_docstring(ast.parse(path.read_text("utf-8"))))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None


def recipe_citation(recipe_type: str) -> str | None:
    from synloom.spec.recipe import load_recipe

    try:
        cls = load_recipe(recipe_type)
    except (ImportError, ValueError, AttributeError):
        return None
    module = sys.modules.get(getattr(cls, "__module__", ""))
    return doc_reference(getattr(module, "__doc__", None)) or doc_reference(cls.__doc__)


def curation_citation(method: str) -> str | None:
    from synloom.curate.registry import METHODS, load_method

    if method not in METHODS:
        return None
    try:
        return load_method(method).info.citation
    except ImportError:  # its extra is missing here: its module docstring still names the paper
        return None


def metric_citation(name: str) -> str | None:
    from synloom.errors import SynloomError
    from synloom.quality.registry import get_metric

    try:
        return get_metric(name).citation
    except (SynloomError, ImportError, KeyError):
        return None


def method_citations(
    spec: Mapping[str, Any], curation_methods: Iterable[str] = (), metrics: Iterable[str] = ()
) -> list[tuple[str, str]]:
    """(what, citation) for each method the run's spec, its curation and its scores used, in that
    order, without repeats; a method whose citation cannot be found is left out."""
    recipe = spec.get("recipe") if isinstance(spec.get("recipe"), Mapping) else {}
    found: list[tuple[str, str | None]] = []
    if recipe.get("type"):
        found.append((f"recipe {recipe['type']}", recipe_citation(str(recipe["type"]))))
    if recipe.get("self_debias_decay") is not None:
        found.append(("self-debiasing decoding", _module_reference("synloom.backends.self_debias")))
    found += [(f"curation {m}", curation_citation(m)) for m in curation_methods]
    found += [(f"metric {m}", metric_citation(m)) for m in metrics]
    seen: set[str] = set()
    out = []
    for what, citation in found:
        if citation and citation not in seen and "no paper" not in citation:
            seen.add(citation)
            out.append((what, citation))
    return out
