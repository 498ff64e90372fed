"""What a clerk registers (登记表: 新参保, 变更, 停保) and what the registry answers (W1).

Plain values: the services (``canbao.services.registry``) store them and decide with the
policy engine; the files adapter reads them from the departments' forms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from canbao.certno import RESIDENT_ID
from canbao.domain.codes import (
    BASIC_INFO,
    ENROLLMENT_INFO,
    NEW,
    PSN_TYPE_CATEGORIES,
    RESIDENT_ADULT,
    STOP,
    UNKNOWN_SEX,
)
from canbao.domain.decision import Decision, to_json

__all__ = [
    "BASIC_INFO",
    "EMPLOYER",
    "ENROLLMENT_INFO",
    "NEW",
    "SCHOOL",
    "STOP",
    "VILLAGE",
    "Outcome",
    "Registration",
]

#: Kinds of enrollment unit (W4, K3).
SCHOOL, EMPLOYER, VILLAGE = "school", "employer", "village"


@dataclass(frozen=True)
class Registration:
    """One registration, change or stop, as the form gives it.

    Attributes:
      chg_type: 登记类型: NEW (新参保), BASIC_INFO or ENROLLMENT_INFO (变更), STOP (停保).
      psn_cert_type, certno: the certificate (``certno`` normalised, 18 characters); a newborn
        or a foreigner without a number yet (E6) has None.
      psn_name, gend, brdy, tel, bank_acct: the person's data as the form gives it.
      insuplc_admdvs: 参保属地, the region of the enrollment.
      psn_type: 人员类别 (1401 新生儿 … 1501 普通居民).
      accepted_on: 受理时间: deadlines are checked against it, not against the import day.
      hukou_admdvs, resd_admdvs: household registration and residence, where known.
      categories, identities: the engine's person categories and hardship identities.
      proofs: the proofs the person brought (mid-year enrollment, E4).
      stop_reason: 停保原因 (a refund reason code of SPEC section 6, or ``other``).
      office_admdvs: the office that handled it (全市通办, K5); default the enrollment region.
      under_parent_name: a newborn registered under a parent's name (B5).
      year: the enrollment year, when the form says it (its title) or the clerk sets it.
      paid_on: the day the contribution was paid, when known at registration (mid-year
        enrollees and newborns pay on the spot): the engine then decides the benefit start.
      permit_expires_on: the last day of the residence permit enrolled on (B13).
      unit_id: the enrollment unit the person is registered through (a school, W4).
    """

    chg_type: str
    psn_name: str
    insuplc_admdvs: str
    accepted_on: date
    psn_type: str = RESIDENT_ADULT
    psn_cert_type: str = RESIDENT_ID
    certno: str | None = None
    gend: str = UNKNOWN_SEX
    brdy: date | None = None
    tel: str | None = None
    bank_acct: str | None = None
    hukou_admdvs: str | None = None
    resd_admdvs: str | None = None
    categories: frozenset[str] = frozenset()
    identities: frozenset[str] = frozenset()
    proofs: frozenset[str] = frozenset()
    stop_reason: str | None = None
    office_admdvs: str | None = None
    under_parent_name: bool = False
    year: int | None = None
    paid_on: date | None = None
    permit_expires_on: date | None = None
    unit_id: str | None = None

    @property
    def engine_categories(self) -> frozenset[str]:
        """The categories the engine reads: those given plus the one of ``psn_type``."""
        extra = PSN_TYPE_CATEGORIES.get(self.psn_type)
        return self.categories | {extra} if extra else self.categories


@dataclass(frozen=True)
class Outcome:
    """What a registration did: ``accepted`` (a change was recorded), ``unchanged`` (it was
    there already), or ``refused`` (with the decision and the reason a clerk reads)."""

    status: str
    reason: str
    psn_no: str | None = None
    rlts_id: str | None = None
    change_id: int | None = None
    decisions: tuple[Decision, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        """The outcome as the command line prints it (and the API will)."""
        return {
            "status": self.status,
            "reason": self.reason,
            "psn_no": self.psn_no,
            "rlts_id": self.rlts_id,
            "change_id": self.change_id,
            "decisions": [to_json(d.as_json()) for d in self.decisions],
        }
