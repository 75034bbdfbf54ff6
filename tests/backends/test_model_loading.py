"""Loading the local backend's model (synloom.backends.hf_model): float16, device_map and
trust_remote_code reach transformers, a user's Hugging Face id is not forced offline, and a model
that cannot be loaded is one line saying what failed. Real transformers models throughout: a
tiny random Llama (built here, saved like any user's model) and the embedded SmolLM2."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap

import pytest

from synloom.backends.base import GenerationParams
from synloom.backends.local import LocalBackend
from synloom.errors import BackendError, SpecError
from synloom.spec import parse_spec
from synloom.spec.fingerprint import data_fingerprint, fingerprint_hash

WORDS = ["the", "a", "movie", "film", "was", "is", "good", "bad", "great", "awful", "very", "not"]
SPEC = {
    "name": "fingerprint-pin",
    "labels": [{"name": "positive"}, {"name": "negative"}],
    "recipe": {"type": "zerogen", "prompt": 'A {verbalizer} movie review: "'},
    "generation": {"samples_per_label": 10},
    "backend": {"type": "local", "model": "embedded", "dtype": "float32"},
}
CUSTOM_CONFIG = """\
from transformers import LlamaConfig


class TinyCustomConfig(LlamaConfig):
    model_type = "synloom_tiny"
"""
CUSTOM_MODEL = """\
from transformers import LlamaForCausalLM

from .configuration_tiny import TinyCustomConfig


class TinyCustomLM(LlamaForCausalLM):
    config_class = TinyCustomConfig
"""


def save_tiny_llama(folder):
    """A 1-layer random Llama with a word-level tokenizer, saved as transformers saves models."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    vocab = {"<unk>": 0, "<eos>": 1} | {w: i + 2 for i, w in enumerate(WORDS)}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    tok = PreTrainedTokenizerFast(tokenizer_object=core, unk_token="<unk>", eos_token="<eos>")
    config = LlamaConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=64,
        eos_token_id=1,
        bos_token_id=1,
    )
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def tiny_llama(tmp_path_factory):
    return save_tiny_llama(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture(scope="module")
def tiny_custom(tmp_path_factory):
    """The tiny Llama as a model that ships its own modelling code (`auto_map`)."""
    folder = save_tiny_llama(tmp_path_factory.mktemp("tiny-custom"))
    config = json.loads((folder / "config.json").read_text())
    config |= {
        "model_type": "synloom_tiny",
        "architectures": ["TinyCustomLM"],
        "auto_map": {
            "AutoConfig": "configuration_tiny.TinyCustomConfig",
            "AutoModelForCausalLM": "modeling_tiny.TinyCustomLM",
        },
    }
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "configuration_tiny.py").write_text(CUSTOM_CONFIG)
    (folder / "modeling_tiny.py").write_text(CUSTOM_MODEL)
    return folder


def test_specs_without_the_new_fields_keep_their_data_fingerprint():
    # Hashes measured with the code before float16, device_map, trust_remote_code and revision
    # existed (commit dd35da1): runs made then still resume.
    assert fingerprint_hash(data_fingerprint(parse_spec(SPEC))) == "394719bf103453aa"
    hub = SPEC | {"backend": {"type": "local", "model": "HuggingFaceTB/SmolLM2-360M-Instruct"}}
    assert fingerprint_hash(data_fingerprint(parse_spec(hub))) == "aadec2576a5e159e"


def test_which_new_fields_decide_the_data():
    def digest(**backend):
        spec = SPEC | {"backend": {"type": "local", "model": "org/model"} | backend}
        return fingerprint_hash(data_fingerprint(parse_spec(spec)))

    base = digest()
    assert digest(device_map="auto") == base  # where the model runs, like `device`
    assert digest(trust_remote_code=False) == base
    assert digest(trust_remote_code=True) != base  # other code may run
    assert digest(revision="v1") != base != digest(dtype="float16")


@pytest.mark.parametrize(
    ("backend", "message"),
    [
        ({"device_map": "auto", "device": "cpu"}, r"device_map \(auto\) places the model itself"),
        ({"revision": "main"}, "revision applies to a Hugging Face id, not the embedded model"),
        ({"device_map": "everywhere"}, "backend.device_map: Input should be 'auto'"),
        ({"dtype": "half"}, "backend.dtype: Input should be .*'float16'"),
    ],
)
def test_placement_and_precision_are_checked_with_the_spec(backend, message):
    spec = SPEC | {"backend": SPEC["backend"] | backend}
    with pytest.raises(SpecError, match=message):
        parse_spec(spec)
    with pytest.raises(BackendError, match=message.replace("backend.", "")):
        LocalBackend(**{k: v for k, v in (SPEC["backend"] | backend).items() if k != "type"})


def test_a_hub_id_missing_offline_says_so_and_blames_no_connection(monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(BackendError) as info:
        LocalBackend("synloom-tests/no-such-model")
    assert str(info.value) == (
        "model 'synloom-tests/no-such-model' not found locally and the hub could not be reached "
        "(offline mode: HF_HUB_OFFLINE is set; unset it to download)"
    )


def test_model_directories_that_cannot_load_say_why(tmp_path, tiny_llama):
    with pytest.raises(BackendError, match=r"^model directory '.*/gone' does not exist$"):
        LocalBackend(str(tmp_path / "gone"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(BackendError, match=r"holds no config.json: not a transformers model"):
        LocalBackend(str(tmp_path / "empty"))
    with pytest.raises(BackendError, match="is a file; give a model directory"):
        LocalBackend(str(tiny_llama / "config.json"))
    strange = tmp_path / "strange"
    strange.mkdir()
    (strange / "config.json").write_text('{"model_type": "no_such_architecture"}')
    with pytest.raises(BackendError, match=r"has an architecture transformers .* does not know"):
        LocalBackend(str(strange))
    weightless = tmp_path / "weightless"
    weightless.mkdir()
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        (weightless / name).write_bytes((tiny_llama / name).read_bytes())
    with pytest.raises(BackendError, match=r"^cannot load the weights of model '.*weightless'"):
        LocalBackend(str(weightless))


def test_trust_remote_code_reaches_transformers(tiny_custom):
    with pytest.raises(BackendError, match=r"ships its own modelling code; set backend.trust_rem"):
        LocalBackend(str(tiny_custom), dtype="float32")
    backend = LocalBackend(str(tiny_custom), dtype="float32", trust_remote_code=True)
    assert type(backend.model).__name__ == "TinyCustomLM"  # the model's own code ran
    out = backend.generate(["the movie was"], GenerationParams(max_new_tokens=4, stop=()), [3])
    assert out[0].n_tokens >= 1


def test_float16_and_device_map_load_and_generate(tiny_llama):
    import torch

    half = LocalBackend(str(tiny_llama), dtype="float16", device="cpu")
    assert half.dtype == "float16"
    assert {p.dtype for p in half.model.parameters()} == {torch.float16}
    greedy = GenerationParams(max_new_tokens=5, temperature=0.0, stop=())
    assert half.generate(["the film was"], greedy, [0])[0].n_tokens >= 1
    full = LocalBackend(str(tiny_llama), dtype="float32", device="cpu")
    [logprobs] = half.score(["the film was"], [" very good"])
    [reference] = full.score(["the film was"], [" very good"])
    assert logprobs.shape == (2,) and (logprobs < 0).all()
    # the same model in half precision (measured: 4e-5 apart on this CPU)
    assert abs(logprobs - reference).max() < 0.02

    placed = LocalBackend(str(tiny_llama), dtype="float32", device_map="auto")
    assert placed.device == str(placed.model.device)  # inputs follow where accelerate put it
    if placed.device == "cpu":  # no GPU: accelerate keeps it on the CPU, same as device: cpu
        [same] = placed.score(["the film was"], [" very good"])
        assert same.tolist() == reference.tolist()


def test_half_precision_without_native_cpu_support_warns_and_auto_avoids_it(monkeypatch, caplog):
    from synloom.backends import hf_model

    monkeypatch.setattr(hf_model, "cpu_flags", lambda: "fpu sse avx2")
    with caplog.at_level(logging.WARNING, logger="synloom.backends.hf_model"):
        assert hf_model.resolve_dtype("float16", "cpu") == "float16"  # kept: it decides the data
    assert "dtype float16 on a CPU without native float16" in caplog.text
    assert "emulated by torch and slow" in caplog.text
    assert hf_model.resolve_dtype("auto", "cpu") == "float32"
    assert hf_model.resolve_dtype("auto", "cuda") == "bfloat16"
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="synloom.backends.hf_model"):
        assert hf_model.resolve_dtype("float16", "cuda") == "float16"
    assert caplog.text == ""
    monkeypatch.setattr(hf_model, "cpu_flags", lambda: "avx2 amx_bf16 amx_fp16")
    with caplog.at_level(logging.WARNING, logger="synloom.backends.hf_model"):
        assert hf_model.resolve_dtype("float16", "cpu") == "float16"
    assert caplog.text == ""
    assert hf_model.resolve_dtype("auto", "cpu") == "bfloat16"


UNREACHABLE_HUB = textwrap.dedent(
    """
    import os
    import time
    from huggingface_hub import constants

    time.sleep = lambda seconds: None  # the hub client's 5 retries back off ~25 s in all
    from synloom.backends.local import LocalBackend
    from synloom.errors import BackendError

    LocalBackend(dtype="float32")  # the embedded model: read offline, whatever the env says
    assert "HF_HUB_OFFLINE" not in os.environ and not constants.HF_HUB_OFFLINE
    try:
        LocalBackend("synloom-tests/no-such-model")
    except BackendError as exc:
        print(exc)
    """
)


@pytest.mark.slow  # loads the embedded model in a fresh interpreter
def test_a_hub_id_is_not_forced_offline_and_an_unreachable_hub_is_named(tmp_path):
    env = {
        k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    }
    env |= {"HF_ENDPOINT": "http://127.0.0.1:9", "HF_HOME": str(tmp_path / "hf")}  # refused
    result = subprocess.run(
        [sys.executable, "-c", UNREACHABLE_HUB],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == (
        "model 'synloom-tests/no-such-model' not found locally and the hub could not be reached "
        "(ConnectionRefusedError: [Errno 111] Connection refused)"
    )


@pytest.mark.ci_may_skip  # the CI machine has no GPU
def test_float16_with_device_map_on_a_gpu(tiny_llama):
    import torch

    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    backend = LocalBackend(str(tiny_llama), dtype="float16", device_map="auto")
    assert backend.device.startswith("cuda")
    assert {p.device.type for p in backend.model.parameters()} == {"cuda"}
    greedy = GenerationParams(max_new_tokens=5, temperature=0.0, stop=())
    assert backend.generate(["the film was"], greedy, [0])[0].raw_text.strip()
    [logprobs] = backend.score(["the film was"], [" very good"])
    assert logprobs.shape == (2,)
