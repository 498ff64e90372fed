"""Names prepared for record linkage (roster matching, T4): folded hanzi and pinyin.

* **Folding** (:func:`fold`): Unicode NFKC (full-width letters and digits, the ideographic
  space), whitespace and the name separators of transliterated names (``·``, ``•``, ``・``)
  removed, traditional characters turned simplified with OpenCC's ``t2s`` table, ASCII letters
  lower-cased. ``張 偉`` and ``张伟`` fold to the same ``张伟``; ``歐陽鋒`` to ``欧阳锋``.
* **Pinyin** (:func:`prepare`): the surname first, from :data:`SURNAME_READINGS` — compound
  surnames (``司徒``, ``欧阳``, ``尉迟`` …) are recognised before single ones — because
  pypinyin reads many surnames with their everyday reading (``单`` dan instead of shan,
  ``曾`` ceng instead of zeng, ``解`` jie instead of xie); a surname not in the table takes
  pypinyin's reading of its character. Each other character takes pypinyin's reading of the
  character alone (without tones), so that the same character always gives the same syllable
  on both sides of a comparison and the result does not depend on the neighbouring
  characters. Non-hanzi characters are kept as they are.

Prepared names are cached per distinct name: rosters and registries repeat names a lot.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Final

import opencc
from pypinyin import Style, lazy_pinyin

__all__ = ["SURNAME_READINGS", "PreparedName", "fold", "prepare"]

#: Surnames whose reading pypinyin gets wrong or that are two characters long: surname →
#: pinyin syllables without tones. Compound surnames are matched before single ones.
SURNAME_READINGS: Final[dict[str, str]] = {
    # compound surnames (复姓)
    "司徒": "si tu",
    "欧阳": "ou yang",
    "上官": "shang guan",
    "诸葛": "zhu ge",
    "皇甫": "huang fu",
    "尉迟": "yu chi",
    "万俟": "mo qi",
    "单于": "chan yu",
    "长孙": "zhang sun",
    "澹台": "tan tai",
    "令狐": "ling hu",
    "司马": "si ma",
    "司空": "si kong",
    "东方": "dong fang",
    "夏侯": "xia hou",
    "公孙": "gong sun",
    "慕容": "mu rong",
    "宇文": "yu wen",
    "轩辕": "xuan yuan",
    "呼延": "hu yan",
    "端木": "duan mu",
    "独孤": "du gu",
    "南宫": "nan gong",
    "西门": "xi men",
    "闻人": "wen ren",
    "申屠": "shen tu",
    "钟离": "zhong li",
    "百里": "bai li",
    "东郭": "dong guo",
    "太史": "tai shi",
    "公冶": "gong ye",
    "宗政": "zong zheng",
    "濮阳": "pu yang",
    "淳于": "chun yu",
    "赫连": "he lian",
    "拓跋": "tuo ba",
    "第五": "di wu",
    # single surnames read differently from the character's everyday reading
    "单": "shan",
    "解": "xie",
    "区": "ou",
    "仇": "qiu",
    "朴": "piao",
    "查": "zha",
    "曾": "zeng",
    "盖": "ge",
    "乐": "yue",
    "尉": "wei",
    "缪": "miao",
    "翟": "zhai",
    "种": "chong",
    "秘": "bi",
    "繁": "po",
    "覃": "qin",
    "员": "yun",
    "黑": "he",
    "折": "she",
    "召": "shao",
    "句": "gou",
    "谌": "chen",
    "隗": "wei",
    "重": "chong",
    "宿": "su",
    "能": "nai",
    "相": "xiang",
    "过": "guo",
    "长": "chang",
    "沈": "shen",
    "任": "ren",
    "华": "hua",
    "纪": "ji",
    "阚": "kan",
    "冼": "xian",
    "柏": "bai",
    "薄": "bo",
    "藏": "zang",
    "贾": "jia",
    "葛": "ge",
    "燕": "yan",
    "卜": "bu",
    "朝": "chao",
    "眭": "sui",
    "粘": "nian",
    "那": "na",
    "都": "du",
    "逄": "pang",
    "郇": "huan",
}

_SEPARATORS: Final = re.compile(r"[\s·•・‧.．]+")
_LONGEST_SURNAME: Final = max(len(surname) for surname in SURNAME_READINGS)


@dataclass(frozen=True, slots=True)
class PreparedName:
    """A name as the linkage compares it.

    Attributes:
      folded: the folded hanzi (see the module).
      pinyin: syllables separated by one space, the surname's first (``shan tian fang``).
      name_key: the pinyin without spaces (``shantianfang``): the blocking key.
      surname: the surname's pinyin without spaces (``shan``, ``ouyang``).
    """

    folded: str
    pinyin: str
    name_key: str
    surname: str


@cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@cache
def fold(name: str) -> str:
    """The name folded: NFKC, no whitespace or separators, simplified, ASCII lower case."""
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", name))
    return str(_t2s().convert(text)).lower()


@cache
def _syllable(character: str) -> str:
    return str(lazy_pinyin(character, style=Style.NORMAL, errors="default")[0]).lower()


@cache
def prepare(name: str) -> PreparedName:
    """The name's folded hanzi, pinyin and keys (see the module)."""
    folded = fold(name)
    surname, reading = "", ""
    for length in range(min(_LONGEST_SURNAME, len(folded) - 1), 0, -1):
        if folded[:length] in SURNAME_READINGS:
            surname, reading = folded[:length], SURNAME_READINGS[folded[:length]]
            break
    if not surname and folded:
        surname, reading = folded[0], _syllable(folded[0])
    syllables = reading.split() + [_syllable(character) for character in folded[len(surname) :]]
    pinyin = " ".join(syllables)
    return PreparedName(folded, pinyin, pinyin.replace(" ", ""), reading.replace(" ", ""))
