"""synloom: task-specific training data from frozen LLMs, proven on real test sets."""

from __future__ import annotations

import importlib
import os
import sys
import types

# libgomp's default spin-waiting makes torch's CPU threads burn their time slices whenever another
# process competes for the cores: measured here, 4 x 16 new tokens with 2 threads took 83.5 s with
# the default policy and 5.1 s with PASSIVE under a loaded machine. Must be set before torch loads;
# a user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"

# The Python API (`synloom.api`, docs/python-api.md), loaded on first use so that `import synloom`
# (and `synloom --help`) stays light. `generate`, `evaluate`, `curate` and `adapt` are also the names of
# subpackages: those subpackages are callable modules, calling the API function of their name
# (`synloom.generate(spec, out=...)`), and stay the packages they are for every other use
# (`synloom.generate.run_generation`, `import synloom.generate.engine`).
API = ("load_spec", "generate", "open_run", "evaluate", "score", "curate", "adapt", "Run")
CALLABLE_SUBPACKAGES = frozenset({"generate", "evaluate", "curate", "adapt"})

__all__ = ["__version__", *API]


def _api_function(name: str):
    from synloom import api

    return getattr(api, name)


class _CallablePackage(types.ModuleType):
    """A subpackage of synloom that is also the API function of its name."""

    def __call__(self, *args, **kwargs):
        return _api_function(self.__name__.rpartition(".")[2])(*args, **kwargs)

    @property
    def __signature__(self):
        import inspect

        return inspect.signature(_api_function(self.__name__.rpartition(".")[2]))


class _Package(types.ModuleType):
    """synloom itself: makes each subpackage of `CALLABLE_SUBPACKAGES` callable when the import
    system binds it here, however it was first imported."""

    def __setattr__(self, name: str, value) -> None:
        if name in CALLABLE_SUBPACKAGES and type(value) is types.ModuleType:
            value.__class__ = _CallablePackage
        super().__setattr__(name, value)


def __getattr__(name: str):
    if name in CALLABLE_SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")  # binds it here, callable
    if name in API:
        return _api_function(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(API))


sys.modules[__name__].__class__ = _Package
