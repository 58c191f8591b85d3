"""The package is typed: it ships ``py.typed`` and ``mypy -p isacsim`` is clean under setup.cfg's configuration."""
from __future__ import annotations

import importlib.resources
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_package_ships_py_typed():
    assert (importlib.resources.files("isacsim") / "py.typed").is_file()


def test_mypy_finds_no_issues(tmp_path):
    pytest.importorskip("mypy")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "-p", "isacsim", "--cache-dir", str(tmp_path / "mypy-cache")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"mypy -p isacsim failed:\n{result.stdout}\n{result.stderr}"
    assert "Success: no issues found" in result.stdout
