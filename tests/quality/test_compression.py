from __future__ import annotations

import shutil
import subprocess

import pytest

from synloom.quality.metrics.compression import compression_ratio


@pytest.mark.skipif(shutil.which("gzip") is None, reason="needs the gzip command")
def test_matches_gnu_gzip(sst2_test, tmp_path):
    texts = [r["text"] for r in sst2_test]
    path = tmp_path / "corpus.txt"
    raw = " ".join(texts).encode("utf-8")
    path.write_bytes(raw)
    compressed = subprocess.run(
        ["gzip", "-9", "-n", "-c", str(path)], check=True, capture_output=True
    ).stdout
    # GNU gzip and zlib implement the same deflate; sizes agree to a fraction of a percent
    assert compression_ratio(texts) == pytest.approx(len(raw) / len(compressed), rel=0.01)


def test_repetition_compresses_more(sst2_test):
    texts = [r["text"] for r in sst2_test[:500]]
    varied = compression_ratio(texts)
    repeated = compression_ratio(texts[:50] * 10)
    assert 2.0 < varied < 4.0
    assert repeated > 2 * varied
    assert compression_ratio([]) == 0.0
