"""The decision contract at the edge (SPEC section 6): JSON in, JSON out.

Skeleton: the pydantic models per case kind and answer kind come here. The command line and
the API call only ``decide_case`` and ``schema``.
"""

from __future__ import annotations

from typing import Any

from canbao.domain.decision import Decision
from canbao.policy import Policy


def decide_case(raw: Any, policy: Policy | None = None, *, at: str = "") -> Decision:
    """Decide one case given as parsed JSON; never raises. ``at`` prefixes error paths
    (``[1]`` for the second case of a list)."""
    from canbao.rules.decide import decide_case as decide_raw

    return decide_raw(raw, policy)


def schema(kind: str | None = None) -> dict[str, Any]:
    """The JSON Schema of the cases and answers of one kind, or of every kind."""
    return {"title": f"canbao decision contract ({kind or 'all kinds'})"}
