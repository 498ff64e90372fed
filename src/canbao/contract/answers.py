"""One pydantic model per answer kind (SPEC section 6): what ``decide`` answers.

The rules build the answer (``Decision``); these models publish its shape (``canbao decide
--schema``, the API's OpenAPI document) and the tests check every answer against them.
Fields beyond the contract are allowed: the contract fields are never renamed.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

Amount = Annotated[Decimal, WithJsonSchema({"type": "number", "description": "元"})]
Day = Annotated[date, WithJsonSchema({"type": "string", "format": "date"})]


class Citation(BaseModel):
    doc: str = Field(description="文件文号，如 筑医保通〔2021〕34号")
    section: str = Field(description="条款，如 二（一）2")


class Error(BaseModel):
    path: str = Field(description="字段路径，如 person.identities[0]；列表中为 [1].kind")
    code: str = Field(description="错误代码，如 missing、unknown_field、invalid_date")
    reason: str = Field(description="中文说明")


class Answer(BaseModel):
    model_config = ConfigDict(extra="allow")

    kind: str
    status: Literal["decided", "policy_gap", "invalid"]
    rules: list[str] = Field(description="适用的规则编号，按适用顺序")
    citations: list[Citation]
    explanation: str = Field(description="中文说明")
    gaps: list[str] | None = Field(default=None, description="policy_gap：文件未规定之处")
    errors: list[Error] | None = Field(default=None, description="invalid：每一处格式错误")


class Funding(BaseModel):
    source: str
    amount: Amount


class ContributionAnswer(Answer):
    kind: Literal["contribution"]
    standard: Amount | None = None
    subsidy: Amount | None = None
    payable: Amount | None = None
    subsidy_identity: str | None = None
    funding: list[Funding] | None = Field(default=None, description="null：分担比例文件未规定")
    period: Literal["concentrated", "late", "outside"] | None = None


class BenefitAnswer(Answer):
    kind: Literal["benefit_start"]
    benefit_start: Day | None = None
    waiting_months: int | None = None
    contribution_years: list[int] | None = None


class Action(BaseModel):
    id: str
    action: Literal["terminate", "suspend"]
    notify_region: str | None


class DuplicatesAnswer(Answer):
    kind: Literal["duplicates"]
    duplicate: bool | None = None
    type: Literal["intra_scheme", "cross_scheme"] | None = None
    keep: str | None = None
    actions: list[Action] | None = None
    subsidy_deduction: list[str] | None = None
    awaiting_consent: bool | None = None


class RefundAnswer(Answer):
    kind: Literal["refund"]
    eligible: bool | None = None
    amount: Amount | None = None
    terminate: bool | None = None
    channel: str | None = None


class EligibilityAnswer(Answer):
    kind: Literal["eligibility"]
    eligible: bool | None = None
    basis: str | None = None
    mid_year_allowed: bool | None = None
    required_proofs: list[str] | None = None


ANSWERS: dict[str, type[Answer]] = {
    "contribution": ContributionAnswer,
    "eligibility": EligibilityAnswer,
    "benefit_start": BenefitAnswer,
    "duplicates": DuplicatesAnswer,
    "refund": RefundAnswer,
}
