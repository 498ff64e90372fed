"""The command line as a person runs it: the installed ``canbao`` script in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CANBAO = str(Path(sys.executable).parent / "canbao")

Run = Callable[..., subprocess.CompletedProcess[bytes]]


def run(
    *args: str, stdin: bytes | str = b"", cwd: Path = ROOT
) -> subprocess.CompletedProcess[bytes]:
    """``canbao ARGS`` with ``stdin``; output kept as bytes (decode to compare text)."""
    data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
    return subprocess.run(
        [CANBAO, *args], input=data, capture_output=True, timeout=300, cwd=cwd, check=False
    )


@pytest.fixture
def canbao() -> Run:
    return run
