"""The vllm backend for real: vLLM's engine on the embedded SmolLM2 in this process, and `vllm
serve` behind the OpenAI backend. Needs vLLM: `.ci/run` runs this module in the venv that
scripts/install_vllm.sh makes (`-m vllm`); elsewhere the module is skipped when vllm is not
importable (tests/conftest.py lets that skip pass in CI's default lane)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest

pytest.importorskip("vllm", reason="vllm is not installed (bash scripts/install_vllm.sh)")

from synloom.backends.base import GenerationParams
from synloom.backends.vllm import VllmBackend
from synloom.backends.vllm_engine import cpu_threads_bind
from synloom.generate import run_generation
from synloom.spec import parse_spec
from synloom.spec.backend import VllmBackendConfig
from synloom.store import RunStore
from synloom.testing.llama_server import free_port

pytestmark = pytest.mark.vllm

TEMPLATE = 'The movie review in {verbalizer} sentiment is: "'
PROMPT = TEMPLATE.format(verbalizer="positive")
# a small engine: 2k context, 1 GiB of KV cache (plenty for these batches)
# prompt / continuation pairs whose scores the engines must agree on
SCORED = (
    [PROMPT, "Question: what is the capital of France?\nAnswer:", "Once upon a time"],
    ['a gorgeous, witty movie."', " Paris", ", there was a small village by the sea."],
)
API_SERVER = "vllm.entrypoints.openai.api_server"
ENGINE = {"dtype": "float32", "max_model_len": 2048, "kv_cache_gb": 1}


@pytest.fixture(scope="module")
def backend():
    b = VllmBackend(VllmBackendConfig(**ENGINE))
    yield b
    b.close()


def texts(completions) -> list[str]:
    return [c.raw_text for c in completions]


def test_a_completion_depends_on_its_seed_only(backend):
    params = GenerationParams(max_new_tokens=16, temperature=1.0, top_p=0.95)
    first = backend.generate([PROMPT] * 4, params, seeds=[1, 2, 1, 3])
    assert not [c.error for c in first if c.failed]
    assert first[0].raw_text == first[2].raw_text  # one seed, one text, within a batch
    assert len({first[0].raw_text, first[1].raw_text, first[3].raw_text}) == 3
    alone = backend.generate([PROMPT], params, seeds=[2])  # ... and in another batch
    assert alone[0].raw_text == first[1].raw_text


def test_stop_strings_and_max_tokens_are_honoured(backend):
    params = GenerationParams(max_new_tokens=12, temperature=1.0, stop=('"', "\n"))
    out = backend.generate([PROMPT] * 8, params, seeds=list(range(8)))
    assert all(0 < c.n_tokens <= 12 for c in out)
    assert all('"' not in c.text and "\n" not in c.text for c in out)
    stopped = [c for c in out if c.finish_reason == "stop"]
    cut = [c for c in stopped if c.raw_text != c.text]  # the stop string is kept in raw_text
    assert all(c.raw_text[len(c.text)] in '"\n' for c in cut)
    greedy = GenerationParams(max_new_tokens=5, temperature=0.0)
    (long,) = backend.generate(["Write a long story about a dragon.\n"], greedy, seeds=[0])
    assert long.finish_reason == "length" and long.n_tokens == 5


def test_n_completions_per_prompt_are_prompt_major_with_their_own_seeds(backend):
    prompts = [PROMPT, 'The movie review in negative sentiment is: "']
    params = GenerationParams(max_new_tokens=10, temperature=1.0, n=3)
    seeds = [11, 12, 13, 21, 22, 23]
    out = backend.generate(prompts, params, seeds)
    assert len(out) == 6
    single = GenerationParams(max_new_tokens=10, temperature=1.0)
    again = backend.generate([prompts[1]], single, seeds=[22])
    assert out[4].raw_text == again[0].raw_text  # prompt 1's 2nd completion, seed 22
    assert len(set(texts(out[:3]))) == 3


def test_scores_agree_with_the_local_transformers_backend(backend):
    from synloom.backends.local import LocalBackend

    prompts, conts = SCORED
    local = LocalBackend(dtype="float32")
    try:
        want = local.score(prompts, conts)
    finally:
        local.close()
    got = backend.score(prompts, conts)
    for w, g in zip(want, got):
        assert g.shape == w.shape and np.all(g <= 0)
        # measured: largest difference 1.9e-5 nats per token (float32 both; bfloat16: 0.21)
        assert np.max(np.abs(g - w)) < 1e-3, (w, g)


def test_json_schema_decoding_gives_the_schema(backend):
    schema = json.dumps(
        {
            "type": "object",
            "properties": {"title": {"type": "string"}, "stars": {"type": "integer"}},
            "required": ["title", "stars"],
            "additionalProperties": False,
        }
    )
    params = GenerationParams(max_new_tokens=40, temperature=1.0, json_schema=schema)
    out = backend.generate(["A movie review as JSON: "] * 3, params, seeds=[1, 2, 3])
    finished = [c for c in out if c.finish_reason == "stop"]
    assert finished, texts(out)
    for c in finished:
        record = json.loads(c.text)
        assert set(record) == {"title", "stars"} and isinstance(record["stars"], int)


def zerogen_spec(backend_section: dict) -> dict:
    return {
        "labels": [
            {"name": "positive", "verbalizers": ["positive"]},
            {"name": "negative", "verbalizers": ["negative"]},
        ],
        "recipe": {
            "type": "zerogen",
            "prompt": TEMPLATE,
            "min_words": 3,
        },
        "generation": {"samples_per_label": 4, "max_new_tokens": 24, "max_rounds": 4},
        "backend": backend_section,
        "seed": 3,
    }


def check_run(summary) -> None:
    c = summary.counts
    assert c["accepted"] + c["rejected"] + c["failed"] == c["planned"]
    assert c["failed"] == 0 and c["unfinished"] == 0
    assert c["accepted"] > 0


def test_a_zerogen_run_on_the_vllm_backend(backend, tmp_path):
    spec = parse_spec(zerogen_spec({"type": "vllm", **ENGINE}))
    summary = run_generation(spec, tmp_path / "run", backend=backend)
    check_run(summary)
    with RunStore(tmp_path / "run") as store:
        (loaded,) = store.manifest()["loaded_backends"]
    assert loaded["backend"] == "vllm" and loaded["dtype"] == "float32"


@pytest.fixture(scope="module")
def vllm_server(tmp_path_factory):
    """`vllm serve` of the embedded model's converted copy on 127.0.0.1 (a free port)."""
    from synloom.backends.embedded import embedded_model_dir

    port = free_port()
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "VLLM_CPU_KVCACHE_SPACE": "1",
    }
    bind = os.environ.get("VLLM_CPU_OMP_THREADS_BIND") or cpu_threads_bind()
    if bind:
        env["VLLM_CPU_OMP_THREADS_BIND"] = bind
    args = ["--host", "127.0.0.1", "--port", str(port), "--dtype", "float32"]
    args += ["--max-model-len", "2048", "--enforce-eager", "--served-model-name", "smollm2"]
    log = tmp_path_factory.mktemp("vllm-serve") / "server.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            # `vllm serve`'s module: the `vllm` script looks up the distribution "vllm" for its
            # --version, and the CPU build is the distribution "vllm-cpu"
            [sys.executable, "-m", API_SERVER, "--model", str(embedded_model_dir()), *args],
            stdout=fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 300
        while True:
            if proc.poll() is not None:
                pytest.fail(f"vllm serve exited {proc.returncode}: {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"vllm serve did not start: {log.read_text()[-2000:]}")
                time.sleep(1)
        yield f"http://127.0.0.1:{port}/v1"
    finally:  # the server's session: it and the engine process it spawned
        stop_session(proc)


def stop_session(proc: subprocess.Popen) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=30)
            return
        except subprocess.TimeoutExpired:
            continue


def test_a_run_through_vllm_serve_and_the_openai_backend(vllm_server, tmp_path):
    section = {"type": "openai", "base_url": vllm_server, "model": "smollm2", "max_concurrency": 8}
    summary = run_generation(parse_spec(zerogen_spec(section)), tmp_path / "run")
    check_run(summary)


def served_scores(base_url: str, model: str) -> list[np.ndarray]:
    from synloom.backends.openai_compat import OpenAIBackend

    client = OpenAIBackend(base_url, model=model)
    try:
        return client.score(*SCORED)
    finally:
        client.close()


def test_scores_through_vllm_serve_agree_with_the_engine_in_process(vllm_server, backend):
    for s, e in zip(served_scores(vllm_server, "smollm2"), backend.score(*SCORED)):
        # measured: identical (0.0): the same engine behind HTTP echo log-probs
        assert s.shape == e.shape and np.max(np.abs(s - e)) < 1e-3, (s, e)


@pytest.fixture(scope="module")
def adapters(tmp_path_factory):
    """A LoRA and a prefix-tuning adapter of the embedded model, trained by `synloom adapt` on
    four seed examples (a few steps: enough to move the model, which is what is compared)."""
    from synloom.api import adapt

    root = tmp_path_factory.mktemp("adapters")
    spec = {
        "labels": [{"name": "positive"}, {"name": "negative"}],
        "seed_examples": [
            {"label": "positive", "text": "a gorgeous , witty , seductive movie ."},
            {"label": "negative", "text": "a dull , pretentious mess ."},
            {"label": "positive", "text": "an utterly charming film ."},
            {"label": "negative", "text": "the plot is a tired retread ."},
        ],
        "recipe": {"type": "zerogen", "prompt": TEMPLATE},
        "backend": {"type": "local", "dtype": "float32"},
    }
    adapt(spec, root / "lora", "lora", epochs=4, batch_size=4, learning_rate=5e-3)
    adapt(spec, root / "prefix", "prefix", epochs=1, batch_size=4)
    return root


def test_a_lora_adapter_generates_as_on_the_local_backend(adapters, backend):
    from synloom.backends.local import LocalBackend
    from synloom.errors import BackendError

    prompts = [PROMPT, TEMPLATE.format(verbalizer="negative"), "My favourite film is"]
    greedy = GenerationParams(max_new_tokens=12, temperature=0.0)
    local = LocalBackend(dtype="float32", adapter=str(adapters / "lora"))
    try:
        want = texts(local.generate(prompts, greedy, seeds=[0, 0, 0]))
    finally:
        local.close()
    base = texts(backend.generate(prompts, greedy, seeds=[0, 0, 0]))
    # one engine in this process at a time: closing one tears down vLLM's process-wide
    # (distributed) state the other runs on, so the module's engine goes first (the last test)
    backend.close()
    adapted = VllmBackend(VllmBackendConfig(**ENGINE, adapter=str(adapters / "lora")))
    try:
        assert adapted.adapter_facts["method"] == "lora"
        got = texts(adapted.generate(prompts, greedy, seeds=[0, 0, 0]))
        if adapted.device == "cpu":
            with pytest.raises(BackendError, match="CPU build cannot compute prompt log-probs"):
                adapted.score(*SCORED)
    finally:
        adapted.close()
    assert got == want  # greedy decoding: vLLM applies the adapter as the merged local model
    assert got != base  # ... and the adapter changes what the model writes


def test_an_adapter_vllm_cannot_serve_is_one_line(adapters):
    from synloom.errors import BackendError

    with pytest.raises(BackendError) as info:
        VllmBackend(VllmBackendConfig(**ENGINE, adapter=str(adapters / "prefix")))
    message = str(info.value)
    assert "\n" not in message and "'prefix'" in message and "LoRA" in message, message
