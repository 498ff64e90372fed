"""Validation of Chinese citizen identity numbers (公民身份号码).

Rules and sources:

* GB 11643-1999 《公民身份号码》: 18 characters = 6-digit address code (行政区划代码),
  8-digit birth date YYYYMMDD, 3-digit sequence code (odd = male, even = female),
  1 check character computed with ISO 7064 MOD 11-2 (weights 7,9,10,5,8,4,2,1,6,3,7,9,10,
  5,8,4,2 over the first 17 digits, remainder mapped through "10X98765432").
* Legacy 15-digit numbers (first-generation cards): 6-digit address code, YYMMDD birth
  date in 19YY, 3-digit sequence, no check character.  They are upgraded to 18 digits by
  inserting "19" before the year and appending the computed check character.
* The 2023 foreign permanent residence ID (国家移民管理局，2023-12-01 起签发): 18 characters
  with first digit 9, the accepting province, a nationality code, the birth date at the same
  place as in GB 11643, a sequence and the same MOD 11-2 check character.  The older
  15-character permit (3 letters + 12 digits) is not checked here.
* 国办发〔2018〕81号 《港澳台居民居住证申领发放办法》: residence permits for Hong Kong,
  Macau and Taiwan residents use the same 18-character structure and check character with
  address codes 810000, 820000 and 830000.

The address code must be a code that was *ever* valid.  The table comes from
python-stdnum's ``stdnum/cn/loc.dat``; its validity years are deliberately ignored, since
people keep the number issued under an address code after that code is abolished.
"""

from __future__ import annotations

import datetime
import functools
import importlib.resources
import re
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "REASON_CODES",
    "CertNoCheck",
    "check_certno",
    "check_character",
]

#: Machine codes that can start ``CertNoCheck.reason`` (followed by ": " and Chinese text).
REASON_CODES: Final = (
    "empty",
    "bad_length",
    "bad_characters",
    "bad_check_character",
    "bad_birth_date",
    "future_birth_date",
    "birth_date_too_early",
    "unknown_region",
)

_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_MAP: Final = "10X98765432"
_DIGITS: Final = frozenset("0123456789")
_EARLIEST_BIRTH_DATE: Final = datetime.date(1880, 1, 1)
#: First digit of the 2023 foreign permanent residence ID; citizens' numbers start with 1–8.
FOREIGNER_MARK: Final = "9"

# 国办发〔2018〕81号: address codes of residence permits for HK, Macau and Taiwan residents.
_PERMIT_REGIONS: Final = {
    "810000": "香港特别行政区",
    "820000": "澳门特别行政区",
    "830000": "台湾地区",
}

# City-level (xxxx00) placeholder names that add nothing to a full region name.
_GENERIC_CITY_NAMES: Final = frozenset(
    {
        "市辖区",
        "县",
        "省直辖行政单位",
        "省直辖县级行政单位",
        "自治区直辖县级行政单位",
    }
)

_PROVINCE_LINE: Final = re.compile(r'^(\d{2}) province="([^"]*)"\s*$')
_COUNTY_LINE: Final = re.compile(r'^\s+(\d{4}) county="([^"]*)"\s*$')
_VALIDITY_PREFIX: Final = re.compile(r"^\[[0-9-]*\]")


@dataclass(frozen=True)
class CertNoCheck:
    """Outcome of :func:`check_certno`; derived fields are None unless ``valid``."""

    certno: str
    valid: bool
    reason: str | None
    certno18: str | None = None
    birth_date: datetime.date | None = None
    sex: str | None = None
    region: str | None = None
    region_name: str | None = None

    def as_json(self) -> dict[str, Any]:
        """JSON-ready dict; ``birth_date`` as YYYY-MM-DD or None."""
        return {
            "certno": self.certno,
            "valid": self.valid,
            "reason": self.reason,
            "certno18": self.certno18,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "sex": self.sex,
            "region": self.region,
            "region_name": self.region_name,
        }


def check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of 17 ASCII digits (GB 11643-1999)."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_MAP[total % 11]


def _clean_name(raw: str) -> str:
    """Latest name of a loc.dat entry, without its validity prefix.

    Entries look like ``崇文区``, ``[-2010]崇文区`` or ``[-1991]东郊区,[1992-]东丽区``.
    """
    return _VALIDITY_PREFIX.sub("", raw.split(",")[-1]).strip()


def _parse_loc_dat(text: str) -> dict[str, str]:
    """Map every address code that ever existed to its full name."""
    provinces: dict[str, str] = {}
    names: dict[str, str] = {}
    province = ""
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if m := _PROVINCE_LINE.match(line):
            province = m.group(1)
            provinces[province] = _clean_name(m.group(2))
        elif (m := _COUNTY_LINE.match(line)) and province:
            names[province + m.group(1)] = _clean_name(m.group(2))

    table: dict[str, str] = {}
    for code, name in names.items():
        province_name = provinces[code[:2]]
        if code.endswith("0000"):
            full = province_name
        elif code.endswith("00"):
            full = province_name + name
        else:
            city = names.get(code[:4] + "00", "")
            if city in _GENERIC_CITY_NAMES:
                city = ""
            full = province_name + city + name
        table[code] = full
    table.update(_PERMIT_REGIONS)
    return table


@functools.cache
def _regions() -> dict[str, str]:
    """Address-code table, read from python-stdnum's loc.dat on first use."""
    resource = importlib.resources.files("stdnum.cn").joinpath("loc.dat")
    return _parse_loc_dat(resource.read_text(encoding="utf-8"))


def _foreign_permanent_residence(number: str, certno18: str, birth: datetime.date) -> CertNoCheck:
    """The 2023 foreign permanent residence ID (新版外国人永久居留身份证): "9", the 2-digit
    province that accepted it, a 3-digit nationality code, the birth date, a sequence and the
    MOD 11-2 check character. The province must exist; the number does not tell the sex."""
    region = certno18[1:3] + "0000"
    province = _regions().get(region)
    if province is None:
        return _invalid(number, "unknown_region", f"永居证受理地省级代码 {region[:2]} 不存在")
    name = f"外国人永久居留身份证（{province}受理，国籍代码{certno18[3:6]}）"
    return _valid(number, certno18, birth, None, region, name)


def _valid(
    certno: str,
    certno18: str,
    birth: datetime.date,
    sex: str | None,
    region: str,
    region_name: str,
) -> CertNoCheck:
    return CertNoCheck(certno, True, None, certno18, birth, sex, region, region_name)


def _invalid(certno: str, code: str, text: str) -> CertNoCheck:
    return CertNoCheck(certno=certno, valid=False, reason=f"{code}: {text}")


def check_certno(number: str, today: datetime.date | None = None) -> CertNoCheck:
    """Check a 15- or 18-digit identity number (or HK/Macau/Taiwan residence permit number).

    Never raises for any input.  Surrounding whitespace is ignored and a lower-case ``x``
    check character is accepted.  The birth date must be a real date between 1880-01-01
    and ``today`` (default: ``datetime.date.today()``); the address code must be one that
    ever existed per loc.dat, or 810000/820000/830000 (国办发〔2018〕81号).
    """
    if not isinstance(number, str):  # defensive: callers may pass None or other objects
        return _invalid("", "empty" if number is None else "bad_characters", "号码不是字符串")
    s = number.strip()
    if not s:
        return _invalid(number, "empty", "号码为空")
    if len(s) not in (15, 18):
        return _invalid(number, "bad_length", f"长度应为15位或18位，实为{len(s)}位")

    if len(s) == 18:
        body, given = s[:17], s[17].upper()
        if not (set(body) <= _DIGITS and (given in _DIGITS or given == "X")):
            return _invalid(number, "bad_characters", "前17位应为数字，末位应为数字或X")
        expected = check_character(body)
        if given != expected:
            return _invalid(number, "bad_check_character", f"校验码错误，应为 {expected}")
        certno18 = body + expected
    else:
        if not set(s) <= _DIGITS:
            return _invalid(number, "bad_characters", "15位号码应全为数字")
        body = s[:6] + "19" + s[6:]
        certno18 = body + check_character(body)

    try:
        birth = datetime.date(int(body[6:10]), int(body[10:12]), int(body[12:14]))
    except ValueError:
        return _invalid(number, "bad_birth_date", f"出生日期 {body[6:14]} 不是有效日期")
    if birth < _EARLIEST_BIRTH_DATE:
        return _invalid(number, "birth_date_too_early", "出生日期早于1880-01-01")
    if birth > (today if today is not None else datetime.date.today()):
        return _invalid(number, "future_birth_date", f"出生日期 {birth.isoformat()} 晚于当前日期")

    if body[0] == FOREIGNER_MARK:
        return _foreign_permanent_residence(number, certno18, birth)
    region = body[:6]
    region_name = _regions().get(region)
    if region_name is None:
        return _invalid(number, "unknown_region", f"行政区划代码 {region} 不存在")

    sex = "1" if int(body[16]) % 2 else "2"
    return _valid(number, certno18, birth, sex, region, region_name)
