"""R, the independent check of rifkb's statistics: a script run by Rscript with its
packages loaded, its stdout a JSON value. CI sets RIFKB_REQUIRE_METAFOR=1 (and installs R,
metafor and pwr), so there a missing R or package fails the test instead of skipping it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Any

import pytest

DEBIAN = {"metafor": "r-cran-metafor", "pwr": "r-cran-pwr"}


def run_r(script: str, packages: tuple[str, ...] = ("metafor",)) -> Any:
    required = os.environ.get("RIFKB_REQUIRE_METAFOR") == "1"
    missing = pytest.fail if required else pytest.skip
    if shutil.which("Rscript") is None:
        missing("R is not installed (apt-get install r-base-core r-cran-metafor r-cran-pwr)")
    for package in packages:
        probe = subprocess.run(["Rscript", "-e", f"library({package})"], capture_output=True, check=False)
        if probe.returncode != 0:
            missing(
                f"R's {package} package is not installed (apt-get install {DEBIAN.get(package, package)})"
            )
    loads = "".join(f"suppressMessages(library({p})); " for p in packages)
    done = subprocess.run(["Rscript", "-e", loads + script], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
