"""Curation: score, filter, rank and reweight the accepted samples of a run (never changing them)."""
