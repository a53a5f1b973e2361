"""The README's examples run as written."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def _block(marker: str) -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    after = text.split(f"<!-- {marker} -->", 1)[1]
    return after.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_components_example_runs_on_a_blank_pipeline(tmp_path):
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", _block("components-example")],
                          capture_output=True, text=True, check=True, cwd=tmp_path)  # fmt: skip
    lines = done.stdout.splitlines()
    assert "IVIg intervention ivig" in lines
    assert "live birth rate outcome live_birth" in lines
    assert "OR 3.64 1.78 7.67 live_birth" in lines
