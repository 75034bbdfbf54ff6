"""Adapting the generator: parameter-efficient tuning of the local model on a spec's seed
examples (`synloom adapt`), whose result `backend.adapter` runs (`synloom.backends.adapter`)."""

from synloom.adapt.settings import METHODS, AdaptSettings

__all__ = ["METHODS", "AdaptSettings"]
