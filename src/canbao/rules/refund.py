"""Placeholder: being written."""

from __future__ import annotations

from typing import Any

from canbao.domain.decision import Decision
from canbao.policy import Policy
from canbao.rules.case import Reader

KIND = "refund"


def read(case: Reader) -> Any:
    return None


def decide(facts: Any, policy: Policy) -> Decision:
    raise NotImplementedError
