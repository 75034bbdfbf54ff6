"""`derive_seed` lives in `synloom.seeds` (recipes plan with it, below this layer); kept here for
the modules that import it from `synloom.generate.seeds`."""

from __future__ import annotations

from synloom.seeds import derive_seed

__all__ = ["derive_seed"]
