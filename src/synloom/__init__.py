"""synloom: task-specific training data from frozen LLMs, proven on real test sets."""

from __future__ import annotations

import os

# libgomp's default spin-waiting makes torch's CPU threads burn their time slices whenever another
# process competes for the cores: measured here, 4 x 16 new tokens with 2 threads took 83.5 s with
# the default policy and 5.1 s with PASSIVE under a loaded machine. Must be set before torch loads;
# a user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"

__all__ = ["__version__"]
