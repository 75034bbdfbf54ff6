from __future__ import annotations

import inspect
import json
import pkgutil
from pathlib import Path

import pytest

import synloom.quality.metrics as quality
from synloom.errors import SynloomError
from synloom.quality.registry import get_metric, list_metrics, metric_modules

NOT_METRICS = {"info", "tokens", "neighbors", "scoring", "suite"}
# Scoring a run directory and showing the results (synloom score / report), not metrics.
NOT_METRICS |= {"run_scores", "stored", "summary", "plot_data"}


def test_every_metric_module_is_registered():
    modules = {m.name for m in pkgutil.iter_modules(quality.__path__)} - NOT_METRICS
    assert {f"synloom.quality.metrics.{m}" for m in modules} == set(metric_modules())


def test_infos_are_complete_and_loadable():
    infos = list_metrics()
    assert len({i.name for i in infos}) == len(infos)
    for info in infos:
        assert info.measures and info.range and info.citation
        assert info.better in {"higher", "lower", "closer_to_reference", "none"}
        fn = info.load()
        assert callable(fn) and inspect.getdoc(fn)
        # the implementing module's docstring cites the paper named in the info
        module_doc = inspect.getdoc(inspect.getmodule(fn)) or ""
        first_author = info.citation.split()[0].rstrip(",")
        assert first_author in module_doc, (info.name, first_author)
        json.dumps(info.to_json())
    assert get_metric("self_bleu").family == "diversity"
    with pytest.raises(SynloomError):
        get_metric("bleurt")


def test_docs_describe_every_metric():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "quality.md").read_text(encoding="utf-8")
    for info in list_metrics():
        assert f"`{info.name}`" in doc, info.name
