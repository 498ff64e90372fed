"""Validation of identity numbers (公民身份号码 and the numbers built like it).

Rules and sources:

* GB 11643-1999 《公民身份号码》: 18 characters = 6-digit address code (行政区划代码),
  8-digit birth date YYYYMMDD, 3-digit sequence code (odd = male, even = female),
  1 check character computed with ISO 7064 MOD 11-2 (weights 7,9,10,5,8,4,2,1,6,3,7,9,10,
  5,8,4,2 over the first 17 digits, remainder mapped through "10X98765432").
* Legacy 15-digit numbers (first-generation cards): 6-digit address code, YYMMDD birth
  date in 19YY, 3-digit sequence, no check character.  They are upgraded to 18 digits by
  inserting "19" before the year and appending the computed check character.
* 国办发〔2018〕81号 《港澳台居民居住证申领发放办法》: residence permits for Hong Kong,
  Macau and Taiwan residents use the same 18-character structure and check character with
  address codes 810000, 820000 and 830000.
* The 2023 foreign permanent residence ID (国家移民管理局《新版外国人永久居留身份证适配性改造
  要点》, issued from 2023-12-01): 18 characters with first digit 9 (citizens' numbers start
  with 1–8), the accepting province, a 3-digit nationality code, the birth date at the same
  place as in GB 11643, a sequence and the same MOD 11-2 check character.
* The older foreign permanent residence ID (2004 and 2017 editions).  The same notice says
  it has 15 characters, "3 位拉丁字母 + 12 位数字", the letters being the code of the
  holder's country or region.  The layout of the 12 digits is not published there; the one
  checked here — 4 digits of the accepting authority (province + city), the birth date
  YYMMDD, 2 further digits — is the one that independent implementations agree on and that
  the specimen numbers in circulation follow.  Not checked: the nationality letters against
  the ISO 3166-1 alpha-3 list (no table at hand) and the last character (an ICAO 9303
  7-3-1 check digit is claimed by one implementation, but no official statement of it was
  found), which the result says in ``notes``.  The century of the birth year is the later
  of 20YY and 19YY that is not after today; such a number has no 18-character form.

Separators: surrounding whitespace is ignored silently.  Spaces or dashes *inside* the
number (``4407 8319 8506 1512 34``, as a number is often copied from a form) are removed
and the number is checked without them; the result says so in ``notes``
(``inner_separators``), so a clerk can correct the record, and ``certno18`` is the number
to store.  Any other character is ``bad_characters``.

The address code must be a code that was *ever* valid (see :mod:`canbao.certno.regions`).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any, Final

from canbao.certno.regions import PERMIT_REGIONS, address_codes, divisions

__all__ = [
    "NOTE_CODES",
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

#: Machine codes that can start an entry of ``CertNoCheck.notes``.
NOTE_CODES: Final = ("inner_separators", "check_character_not_checked")

#: 证件类型 ``psn_cert_type`` (SPEC section 2) of each kind of number.
RESIDENT_ID: Final = "01"
FOREIGN_PERMANENT_RESIDENCE: Final = "07"
HMT_RESIDENCE_PERMIT: Final = "17"

WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS: Final = "10X98765432"
_DIGITS: Final = frozenset("0123456789")
_LETTERS: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
EARLIEST_BIRTH_DATE: Final = datetime.date(1880, 1, 1)
#: First digit of the 2023 foreign permanent residence ID; citizens' numbers start with 1–8.
FOREIGNER_MARK: Final = "9"
# Whitespace (also the full-width space U+3000) and the dashes people type between groups.
_SEPARATORS: Final = re.compile(r"[\s\-‐‑‒–—―－]+")

_INNER_SEPARATORS: Final = (
    "inner_separators: 号码中间含有空格或分隔符，已去除后校验；登记时请录入不含分隔符的号码"
)
_CHECK_NOT_CHECKED: Final = (
    "check_character_not_checked: 旧版（15位）永居证末位的校验算法未见官方公布，本项目未校验末位"
)


@dataclass(frozen=True)
class CertNoCheck:
    """Outcome of :func:`check_certno`; derived fields are None unless ``valid``.

    Attributes:
      certno: the number as given.
      valid: whether it passes every check.
      reason: for an invalid number, a code of ``REASON_CODES``, ": " and the Chinese reason.
      notes: what was checked differently (``NOTE_CODES``), also for a valid number.
      cert_type: 证件类型 ``psn_cert_type``: 01 居民身份证, 07 外国人永久居留证,
        17 港澳台居民居住证.
      certno18: the 18-character number to store (None for a 15-character foreign ID).
      birth_date, sex (1 male, 2 female, None when the number does not tell), region (the
        address code, or the accepting province of a foreign ID), region_name.
    """

    certno: str
    valid: bool
    reason: str | None
    notes: tuple[str, ...] = ()
    cert_type: str | None = None
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
            "notes": list(self.notes),
            "cert_type": self.cert_type,
            "certno18": self.certno18,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "sex": self.sex,
            "region": self.region,
            "region_name": self.region_name,
        }


def check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of 17 ASCII digits (GB 11643-1999)."""
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def _valid(
    certno: str,
    notes: tuple[str, ...],
    cert_type: str,
    certno18: str | None,
    birth: datetime.date,
    region: str,
    region_name: str,
    sex: str | None = None,
) -> CertNoCheck:
    return CertNoCheck(
        certno=certno,
        valid=True,
        reason=None,
        notes=notes,
        cert_type=cert_type,
        certno18=certno18,
        birth_date=birth,
        sex=sex,
        region=region,
        region_name=region_name,
    )


def _invalid(certno: str, code: str, text: str, notes: tuple[str, ...] = ()) -> CertNoCheck:
    return CertNoCheck(certno=certno, valid=False, reason=f"{code}: {text}", notes=notes)


def check_certno(number: str, today: datetime.date | None = None) -> CertNoCheck:
    """Check an identity number: 18- or 15-digit 公民身份号码, HK/Macau/Taiwan residence
    permit number, or foreign permanent residence ID (18-digit 2023 or 15-character older).

    Never raises for any input.  Surrounding whitespace is ignored, inner spaces and dashes
    are removed with a note, and lower-case letters are accepted.  The birth date must be a
    real date between 1880-01-01 and ``today`` (default: ``datetime.date.today()``); the
    address code must be one that ever existed per loc.dat, or 810000/820000/830000
    (国办发〔2018〕81号).
    """
    if not isinstance(number, str):  # defensive: callers may pass None or other objects
        return _invalid("", "empty" if number is None else "bad_characters", "号码不是字符串")
    stripped = number.strip()
    if not stripped:
        return _invalid(number, "empty", "号码为空")
    compact = _SEPARATORS.sub("", stripped)
    notes = (_INNER_SEPARATORS,) if compact != stripped else ()
    # Only ASCII is upper-cased: str.upper() turns some other letters into ASCII ones (ﬀ → FF).
    s = compact.upper() if compact.isascii() else compact
    today = today if today is not None else datetime.date.today()
    if len(s) == 15 and s[0] in _LETTERS:
        return _older_foreign_permanent_residence(number, s, today, notes)
    return _numeric(number, s, today, notes)


def _numeric(number: str, s: str, today: datetime.date, notes: tuple[str, ...]) -> CertNoCheck:
    """GB 11643 numbers and the permits built like them (18 digits, or 15 legacy digits)."""
    if len(s) not in (15, 18):
        return _invalid(number, "bad_length", f"长度应为15位或18位，实为{len(s)}位", notes)
    if len(s) == 18:
        body, given = s[:17], s[17]
        if not (set(body) <= _DIGITS and (given in _DIGITS or given == "X")):
            return _invalid(number, "bad_characters", "前17位应为数字，末位应为数字或X", notes)
        expected = check_character(body)
        if given != expected:
            return _invalid(number, "bad_check_character", f"校验码错误，应为 {expected}", notes)
        certno18 = body + expected
    else:
        if not set(s) <= _DIGITS:
            return _invalid(
                number,
                "bad_characters",
                "15位号码应全为数字（旧版永居证为3位字母加12位数字）",
                notes,
            )
        body = s[:6] + "19" + s[6:]
        certno18 = body + check_character(body)

    try:
        birth = datetime.date(int(body[6:10]), int(body[10:12]), int(body[12:14]))
    except ValueError:
        return _invalid(number, "bad_birth_date", f"出生日期 {body[6:14]} 不是有效日期", notes)
    if birth < EARLIEST_BIRTH_DATE:
        return _invalid(number, "birth_date_too_early", "出生日期早于1880-01-01", notes)
    if birth > today:
        return _invalid(
            number, "future_birth_date", f"出生日期 {birth.isoformat()} 晚于当前日期", notes
        )

    if body[0] == FOREIGNER_MARK:
        province = _province(certno18[1:3])
        if province is None:
            text = f"永居证受理地省级代码 {certno18[1:3]} 不存在"
            return _invalid(number, "unknown_region", text, notes)
        name = f"外国人永久居留身份证（{province}受理，国籍代码{certno18[3:6]}）"
        region = certno18[1:3] + "0000"
        return _valid(number, notes, FOREIGN_PERMANENT_RESIDENCE, certno18, birth, region, name)
    region = body[:6]
    region_name = address_codes().get(region)
    if region_name is None:
        return _invalid(number, "unknown_region", f"行政区划代码 {region} 不存在", notes)
    cert_type = HMT_RESIDENCE_PERMIT if region in PERMIT_REGIONS else RESIDENT_ID
    sex = "1" if int(body[16]) % 2 else "2"
    return _valid(number, notes, cert_type, certno18, birth, region, region_name, sex)


def _province(two_digits: str) -> str | None:
    """Name of the province (GB/T 2260 xx0000) that accepted a foreign ID, or None."""
    return divisions().get(two_digits + "0000")


def _older_foreign_permanent_residence(
    number: str, s: str, today: datetime.date, notes: tuple[str, ...]
) -> CertNoCheck:
    """15 characters: 3 letters (nationality), 4 digits (accepting province and city), the
    birth date YYMMDD, 2 digits; see the module docstring for what is confirmed."""
    letters, digits = s[:3], s[3:]
    if not (set(letters) <= _LETTERS and set(digits) <= _DIGITS):
        text = "旧版永居证号码应为3位拉丁字母（国籍代码）加12位数字"
        return _invalid(number, "bad_characters", text, notes)
    birth = _two_digit_year_birth(digits[4:10], today)
    if birth is None:
        text = f"出生日期 {digits[4:10]} 不是有效日期或晚于当前日期"
        return _invalid(number, "bad_birth_date", text, notes)
    province = _province(digits[:2])
    if province is None:
        text = f"永居证受理地省级代码 {digits[:2]} 不存在"
        return _invalid(number, "unknown_region", text, notes)
    name = f"外国人永久居留证（旧版15位，{province}受理，国籍代码{letters}）"
    return CertNoCheck(
        number, True, None, (*notes, _CHECK_NOT_CHECKED), FOREIGN_PERMANENT_RESIDENCE, None,
        birth, None, digits[:2] + "0000", name,
    )  # fmt: skip


def _two_digit_year_birth(yymmdd: str, today: datetime.date) -> datetime.date | None:
    """The birth date YYMMDD in 20YY if that is a real date not after today, else in 19YY."""
    for century in (2000, 1900):
        try:
            birth = datetime.date(century + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:]))
        except ValueError:
            continue
        if birth <= today:
            return birth
    return None
