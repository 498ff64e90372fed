"""A decision: what the rules found, the rule ids applied, and the articles they come from.

This is the decision contract of SPEC section 6. Rules return decisions; they do not raise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

#: The answer fields of each case kind (SPEC section 6). Every decided or policy_gap answer
#: has all of them, null where the decision cannot give one.
CONTRACT_FIELDS: dict[str, tuple[str, ...]] = {
    "contribution": ("standard", "subsidy", "payable", "subsidy_identity", "funding", "period"),
    "eligibility": ("eligible", "basis", "mid_year_allowed", "required_proofs"),
    "benefit_start": ("benefit_start", "waiting_months", "contribution_years"),
    "duplicates": ("duplicate", "type", "keep", "actions", "subsidy_deduction", "awaiting_consent"),
    "refund": ("eligible", "amount", "terminate", "channel"),
}


class Status(StrEnum):
    DECIDED = "decided"
    POLICY_GAP = "policy_gap"
    INVALID = "invalid"


@dataclass(frozen=True, order=True)
class Citation:
    """A document number and a section in it, e.g. 筑医保通〔2021〕34号 二（一）2."""

    doc: str
    section: str


@dataclass(frozen=True)
class FieldError:
    """A case field that breaks the format: its path (``person.identities[0]``, ``[1].kind``
    in a list), the Chinese reason, and a machine code (``missing``, ``unknown_field``, …)."""

    path: str
    reason: str
    code: str = "invalid"


@dataclass(frozen=True)
class Decision:
    """The answer to one case.

    Attributes:
      kind: the case kind (``contribution``, ``benefit_start``, ...).
      status: decided, policy_gap or invalid.
      rules: rule ids applied, in the order they were applied (SPEC section 4).
      citations: document and section of every rule and parameter used.
      explanation: one or two Chinese sentences.
      answer: the kind's answer fields (SPEC section 6), Decimal for money, date for dates.
      gaps: for policy_gap, what the documents leave open.
      errors: for invalid, every field that breaks the format.
    """

    kind: str
    status: Status
    rules: tuple[str, ...]
    citations: tuple[Citation, ...]
    explanation: str
    answer: dict[str, Any] = field(default_factory=dict)
    gaps: tuple[str, ...] = ()
    errors: tuple[FieldError, ...] = ()

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": self.kind,
            "status": self.status.value,
            "rules": list(self.rules),
            "citations": [{"doc": c.doc, "section": c.section} for c in self.citations],
            "explanation": self.explanation,
        }
        body.update({key: to_json(value) for key, value in self.answer.items()})
        if self.gaps:
            body["gaps"] = list(self.gaps)
        if self.errors:
            body["errors"] = [
                {"path": e.path, "code": e.code, "reason": e.reason} for e in self.errors
            ]
        return body


def to_json(value: Any) -> Any:
    """Plain JSON values: Decimal → number (exact for amounts in fen), date → YYYY-MM-DD."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [to_json(v) for v in value]
        return sorted(items) if isinstance(value, set | frozenset) else items
    if isinstance(value, StrEnum):
        return value.value
    return value
