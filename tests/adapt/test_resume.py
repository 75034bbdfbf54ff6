"""kill -9 during `synloom adapt`, rerun: training continues from its last checkpoint and ends with
the weights an uninterrupted run ends with (same data order, dropout and optimizer state).

In the `heavy` lane (minutes on 2 cores), which `.ci/run` runs after the default suite."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import yaml

from synloom.spec.adapter_dir import ADAPTER_META, CHECKPOINT_DIR
from tests.conftest import read_jsonl
from tests.helpers import run_cli

pytestmark = [pytest.mark.slow, pytest.mark.heavy]


def checkpoint_step(out) -> int:
    import torch

    path = out / CHECKPOINT_DIR / "state.pt"
    try:
        return int(torch.load(path, weights_only=False)["step"])
    except (OSError, RuntimeError, EOFError, KeyError):
        return 0


def test_kill_9_then_rerun_continues_from_the_checkpoint(tmp_path, datasets_dir):
    from safetensors.torch import load_file

    rows = [r for r in read_jsonl(datasets_dir / "sst2" / "train_sentences.jsonl", 400)]
    seeds = [r for r in rows if r["label"] == "positive"][:4]
    seeds += [r for r in rows if r["label"] == "negative"][:4]
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        yaml.safe_dump(
            {
                "name": "adapt-resume",
                "labels": [{"name": "positive"}, {"name": "negative"}],
                "recipe": {"type": "zerogen", "prompt": 'A {label} movie review: "'},
                "seed_examples": [{"text": r["text"], "label": r["label"]} for r in seeds],
                "backend": {"type": "local", "device": "cpu", "dtype": "float32"},
            }
        ),
        "utf-8",
    )
    # LoRA with dropout: a resume that lost the RNG state or the data order would differ
    args = ["-m", "lora", "--epochs", "4", "--batch-size", "4", "--save-every", "1"]
    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "synloom", "adapt", spec, "--out", killed, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=os.environ | {"SYNLOOM_PROGRESS": "0"},
    )
    try:
        deadline = time.monotonic() + 600
        while checkpoint_step(killed) < 3 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    at_kill = checkpoint_step(killed)
    assert 3 <= at_kill < 8 and not (killed / ADAPTER_META).exists()

    resumed = run_cli("adapt", spec, "--out", killed, *args)
    assert resumed.returncode == 0, resumed.stderr
    assert f"from its checkpoint at step {at_kill}" in resumed.stdout + resumed.stderr
    meta = json.loads((killed / ADAPTER_META).read_text("utf-8"))
    assert [p["step"] for p in meta["train"]["curve"]] == list(range(1, 9))
    assert not (killed / CHECKPOINT_DIR).exists()

    whole = tmp_path / "whole"
    assert run_cli("adapt", spec, "--out", whole, *args).returncode == 0
    a = load_file(killed / "adapter_model.safetensors")
    b = load_file(whole / "adapter_model.safetensors")
    assert a.keys() == b.keys() and all((a[k] == b[k]).all() for k in a)
    whole_meta = json.loads((whole / ADAPTER_META).read_text("utf-8"))
    assert [p["loss"] for p in whole_meta["train"]["curve"]] == [
        p["loss"] for p in meta["train"]["curve"]
    ]

    again = run_cli("adapt", spec, "--out", whole, *args)  # a finished adapter is found done
    assert again.returncode == 0 and "already trained" in again.stdout + again.stderr
