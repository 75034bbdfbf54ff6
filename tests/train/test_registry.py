from __future__ import annotations

import subprocess
import sys

import pytest

from synloom.errors import SynloomError
from synloom.train import STRATEGIES, TASK_MODELS, create_task_model
from synloom.train.base import TaskModel
from synloom.train.registry import strategy_options, task_model_class


def test_every_registered_model_implements_the_interface():
    for name in TASK_MODELS:
        cls = task_model_class(name)
        assert issubclass(cls, TaskModel) and cls.name == name
        assert create_task_model(name).describe()["name"] == name


def test_strategies_set_finetune_options():
    model = create_task_model("finetune", strategies=["label-smoothing", "temporal-ensembling"])
    assert model.config.label_smoothing == 0.15
    assert model.config.temporal_ensembling and model.config.consistency_weight == 20.0
    assert model.config.ensemble_momentum == 0.9
    explicit = create_task_model("finetune", strategies=["label-smoothing"], label_smoothing=0.1)
    assert explicit.config.label_smoothing == 0.1
    assert strategy_options(["fewgen"])["confidence_threshold"] == 0.8
    assert set(STRATEGIES) >= {"label-smoothing", "temporal-ensembling", "rce", "few-shot-first"}


def test_unknown_names_and_misplaced_strategies_raise():
    with pytest.raises(SynloomError, match="unknown task model 'bert'"):
        create_task_model("bert")
    with pytest.raises(SynloomError, match="unknown training strategy"):
        create_task_model("finetune", strategies=["mixup"])
    with pytest.raises(SynloomError, match="need the 'finetune' task model"):
        create_task_model("tfidf", strategies=["rce"])
    with pytest.raises(SynloomError, match="bad option"):
        create_task_model("tfidf", learning_rate=1.0)


def test_importing_train_stays_light():
    code = (
        "import sys, synloom.train, synloom.train.registry, synloom.evaluate.metrics; "
        "print(sorted(m for m in ('torch', 'sklearn', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
