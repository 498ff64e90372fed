"""Administrative division codes (GB/T 2260) that ever existed, with their full names.

The table comes from python-stdnum's ``stdnum/cn/loc.dat``; its validity years are
deliberately ignored, since people keep the number issued under an address code after that
code is abolished, and a case may name a district by a code that has since been renamed.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from typing import Final

# 国办发〔2018〕81号: address codes of residence permits for HK, Macau and Taiwan residents.
# 830000 is a permit code only, not a GB/T 2260 division (Taiwan is 710000 there).
PERMIT_REGIONS: Final = {
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
_SIX_DIGITS: Final = re.compile(r"[0-9]{6}", re.ASCII)


def _clean_name(raw: str) -> str:
    """Latest name of a loc.dat entry, without its validity prefix.

    Entries look like ``崇文区``, ``[-2010]崇文区`` or ``[-1991]东郊区,[1992-]东丽区``.
    """
    return _VALIDITY_PREFIX.sub("", raw.split(",")[-1]).strip()


def parse_loc_dat(text: str) -> dict[str, str]:
    """Map every division code in loc.dat to its full name (province + city + county)."""
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
    return table


@functools.cache
def divisions() -> dict[str, str]:
    """The GB/T 2260 codes that ever existed → full name, read from loc.dat on first use."""
    resource = importlib.resources.files("stdnum.cn").joinpath("loc.dat")
    return parse_loc_dat(resource.read_text(encoding="utf-8"))


@functools.cache
def address_codes() -> dict[str, str]:
    """Every address code an identity number may carry: the divisions and the permit codes."""
    return divisions() | PERMIT_REGIONS


def is_region_code(code: str) -> bool:
    """Whether ``code`` is six ASCII digits naming a GB/T 2260 administrative division that
    ever existed (abolished codes included). Project-defined codes such as 520190 (贵安新区)
    and the permit code 830000 are not divisions; callers that accept them say so."""
    return isinstance(code, str) and bool(_SIX_DIGITS.fullmatch(code)) and code in divisions()
