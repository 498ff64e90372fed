"""Names prepared for linkage: folded hanzi, pinyin with surname readings, keys."""

from __future__ import annotations

import pytest

from canbao.batch.names import PreparedName, fold, prepare


@pytest.mark.parametrize(
    ("name", "pinyin"),
    [
        ("单田芳", "shan tian fang"),
        ("解缙", "xie jin"),
        ("区永权", "ou yong quan"),
        ("仇英", "qiu ying"),
        ("朴槿惠", "piao jin hui"),
        ("查良镛", "zha liang yong"),
        ("曾国藩", "zeng guo fan"),
        ("盖聂", "ge nie"),
        ("乐嘉", "yue jia"),
        ("尉迟恭", "yu chi gong"),
    ],
)
def test_surnames_that_pypinyin_reads_otherwise(name: str, pinyin: str) -> None:
    assert prepare(name).pinyin == pinyin


@pytest.mark.parametrize(
    ("name", "surname"),
    [("司徒雷登", "situ"), ("欧阳修", "ouyang"), ("上官婉儿", "shangguan"), ("诸葛亮", "zhuge"),
     ("皇甫嵩", "huangfu"), ("单于夜", "chanyu")],
)  # fmt: skip
def test_compound_surnames_are_recognised_first(name: str, surname: str) -> None:
    assert prepare(name).surname == surname


def test_a_traditional_name_folds_to_the_simplified_one() -> None:
    assert prepare("歐陽鋒") == PreparedName("欧阳锋", "ou yang feng", "ouyangfeng", "ouyang")
    assert prepare("張偉") == prepare("张伟")


def test_full_width_letters_spaces_and_separators_are_folded() -> None:
    assert fold("张　伟") == "张伟"
    assert fold(" 张 伟 ") == "张伟"
    assert fold("ＬＩ Ｍｉｎｇ") == "liming"
    assert fold("阿依古丽·买买提") == "阿依古丽买买提"


def test_a_name_that_is_only_a_surname_keeps_its_character_reading() -> None:
    assert prepare("单") == PreparedName("单", "dan", "dan", "dan")
