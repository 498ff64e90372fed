"""The names the person, registration and refund pages show for national codes and the
registry's actions (the code tables themselves live in ``canbao.domain.codes``)."""

from __future__ import annotations

from functools import cache
from typing import Any

from canbao.certno import check_certno
from canbao.domain.codes import (
    ENROLLMENT_STATUS,
    IDENTITIES,
    INSUTYPE_NAMES,
    REFUND_REASONS,
    RESIDENT_PSN_TYPES,
    SEXES,
)
from canbao.policy import load_policy
from canbao.rules.refund import ASSISTANCE_CHANNEL, ORIGINAL_CHANNEL

#: A refund's channel (``rules.refund``) as the offices say it.
CHANNELS = {
    ORIGINAL_CHANNEL: "原缴费渠道退回个人",
    ASSISTANCE_CHANNEL: "终止参保地医疗救助资助渠道",
}

#: change_log.action → what the person page calls it.
ACTIONS = {
    "person": "建立人员信息",
    "register": "新参保登记",
    "change": "变更",
    "stop": "停保",
    "switch": "转换险种",
    "permit_expired": "居住证到期停保",
    "attach_certificate": "补登证件号码",
    "refund_apply": "退费申请",
    "refund_pay": "退费支付",
    "review": "复核",
    "assess": "核定应缴",
    "hardship_add": "困难身份认定",
    "hardship_remove": "困难身份减员",
    "duplicate_propose": "重复参保处理建议",
    "duplicate_consent": "重复参保承诺",
    "duplicate_apply": "重复参保处理",
}


@cache
def names() -> dict[str, Any]:
    """Code → name tables for templates; ``regions``: every region of the policy data."""
    policy = load_policy()
    return {
        "status": ENROLLMENT_STATUS,
        "insutype": INSUTYPE_NAMES,
        "psn_type": RESIDENT_PSN_TYPES,
        "sex": SEXES,
        "identity": IDENTITIES,
        "refund_reason": REFUND_REASONS,
        "action": ACTIONS,
        "channel": CHANNELS,
        "regions": {code: region.name for code, region in policy.regions.items()},
    }


def identity_number(given: str) -> tuple[str | None, str | None]:
    """A typed identity number as the registry keeps it (18 characters), or the plain Chinese
    reason it is not one (``certno.check_certno``'s, without its code)."""
    checked = check_certno(given.strip())
    if checked.valid and checked.certno18 is not None:
        return checked.certno18, None
    reason = (checked.reason or "").split(": ", 1)[-1]
    return None, f"证件号码无效：{reason}"
