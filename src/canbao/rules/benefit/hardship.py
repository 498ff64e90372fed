"""Hardship residents registered first, subsidised later (B12, ``benefit.hardship_register_first``).

Where the region registers hardship residents first (Kaiping), a resident with an identity whose
``subsidy.<identity>`` is full, and with local hukou where ``subsidy.local_hukou_area`` names the
area, has benefits from the day registration and identity flag are done. No refund
and no back-charge when the identity changes during the year; no longer a hardship resident →
the hardship benefit standard stops from the next month.
"""

from __future__ import annotations

from typing import Any

from canbao.domain.codes import IDENTITIES, Scheme
from canbao.domain.months import first_of_next_month
from canbao.policy import Value
from canbao.rules.benefit.context import Context, Finding


def register_first(ctx: Context) -> Finding | None:
    facts = ctx.facts
    setting = ctx.peek("benefit.hardship_register_first")
    if facts.scheme is not Scheme.RESIDENT or setting is None or not setting.value:
        return None
    listed = [
        code
        for code in IDENTITIES
        if code in facts.identities and _full_subsidy(ctx.peek(f"subsidy.{code}"))
    ]
    if not listed:
        return None
    local_only = ctx.peek("subsidy.local_hukou_area")
    if facts.hukou_region and local_only is not None:
        if not ctx.policy.within(facts.hukou_region, local_only.value):
            return None
        ctx.get("subsidy.local_hukou_area")
    ctx.get("benefit.hardship_register_first")
    ctx.get(f"subsidy.{listed[0]}")
    ctx.out.apply("B12")
    day = facts.hardship_flagged_on or facts.registered_on or ctx.paid
    basis = (
        "完成参保登记、做好身份标识"
        if facts.hardship_flagged_on
        else "办理参保登记（未提供身份标识日期，以登记日期计）"
        if facts.registered_on
        else "缴费（未提供登记和身份标识日期，以缴费日期计）"
    )
    begins = ctx.resident_floor(day)
    fields: dict[str, Any] = {
        "hardship_identity": listed[0],
        "refund_on_identity_change": False,
        "back_charge_on_identity_change": False,
    }
    text = (
        f"{IDENTITIES[listed[0]]}属{ctx.place}困难居民，先登记参保、后补助缴费，"
        f"自{day}{basis}之日起享受待遇"
        + ("（参保年度自1月1日开始）" if begins != day else "")
        + "。"
    )
    if facts.hardship_ended_on is not None:
        ends = first_of_next_month(facts.hardship_ended_on)
        fields["hardship_standard_ends_on"] = ends
        text += f"不再认定为困难居民的，自{ends}起停止享受相应标准的待遇，年度内不退费也不追缴。"
    return Finding(begins, 0, (facts.year,), text, fields)


def _full_subsidy(value: Value | None) -> bool:
    return value is not None and isinstance(value.value, dict) and value.value.get("kind") == "full"
