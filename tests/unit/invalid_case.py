"""Shared by the unit tests: the field paths of an invalid case's errors."""

from __future__ import annotations

from typing import Any

from canbao.contract import decide_case
from canbao.domain.decision import Status


def error_paths(raw: dict[str, Any]) -> list[str]:
    """Decide ``raw``, require ``invalid`` with no rule applied, and list the error paths."""
    decision = decide_case(raw)
    assert decision.status is Status.INVALID
    assert decision.rules == ()
    return [error.path for error in decision.errors]
