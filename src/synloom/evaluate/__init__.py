"""Evaluation on real data: metrics, the generator's prompting baseline, the three-way table."""
