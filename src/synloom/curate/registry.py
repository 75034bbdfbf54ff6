"""The curation methods `synloom curate --method NAME` knows: name -> "module:attribute".

A new method is one module in `synloom.curate` (a `CurationMethod`: its `MethodInfo`, options
model and `score`) plus one line here. Nothing is imported until a method is asked for.
"""

from __future__ import annotations

from importlib import import_module

from synloom.curate.base import CurationMethod
from synloom.errors import SynloomError

_C = "synloom.curate."

METHODS: dict[str, str] = {
    "likelihood": _C + "likelihood:METHOD",
    "margin": _C + "margin:METHOD",
    "judge": _C + "judge:METHOD",
    "consistency": _C + "consistency:METHOD",
    "cartography": _C + "cartography:METHOD",
    "sungen": _C + "sungen:METHOD",
    "msp-denoise": _C + "msp_denoise:METHOD",
    "random": _C + "random_control:METHOD",
}


def check_method_name(name: str) -> str:
    if name not in METHODS:
        raise SynloomError(f"unknown curation method {name!r}; choose from {', '.join(METHODS)}")
    return name


def load_method(name: str) -> CurationMethod:
    """The registered method called `name` (its module is imported now)."""
    module_name, _, attr = METHODS[check_method_name(name)].partition(":")
    method = getattr(import_module(module_name), attr)
    if getattr(getattr(method, "info", None), "name", None) != name:
        raise SynloomError(f"curation method {name!r}: {METHODS[name]} is not a method named so")
    return method
