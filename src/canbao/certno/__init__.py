"""Identity numbers (证件号码, ``certno``): 公民身份号码 (GB 11643), legacy 15-digit numbers,
HK/Macau/Taiwan residence permits and foreign permanent residence IDs, and the GB/T 2260
division codes their address codes come from.

Not to be confused with *identity* (资助参保身份, ``tekun``, ``dibao``, …), the hardship
categories of the policy data.
"""

from canbao.certno.check import (
    NOTE_CODES,
    REASON_CODES,
    RESIDENT_ID,
    CertNoCheck,
    check_certno,
    check_character,
)
from canbao.certno.regions import is_region_code

__all__ = [
    "NOTE_CODES",
    "REASON_CODES",
    "RESIDENT_ID",
    "CertNoCheck",
    "check_certno",
    "check_character",
    "is_region_code",
]
