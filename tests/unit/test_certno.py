"""Tests for canbao.certno (GB 11643-1999; 国办发〔2018〕81号; foreign permanent residence IDs)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from canbao.certno import (
    NOTE_CODES,
    REASON_CODES,
    CertNoCheck,
    check_certno,
    check_character,
    is_region_code,
)

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
SYMBOLS = "0123456789X"
TODAY = date(2024, 6, 1)


def mod11_2(first17: str) -> str:
    """Independent ISO 7064 MOD 11-2 implementation for the tests."""
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def full(first17: str) -> str:
    return first17 + mod11_2(first17)


def valid_json(
    certno: str,
    certno18: str,
    birth: str,
    sex: str,
    region: str,
    name: str,
    cert_type: str = "01",
    notes: tuple[str, ...] = (),
) -> dict[str, Any]:
    return {
        "certno": certno,
        "valid": True,
        "reason": None,
        "notes": list(notes),
        "cert_type": cert_type,
        "certno18": certno18,
        "birth_date": birth,
        "sex": sex,
        "region": region,
        "region_name": name,
    }


def invalid_json(certno: str) -> dict[str, Any]:
    return {
        "certno": certno,
        "valid": False,
        "notes": [],
        "cert_type": None,
        "certno18": None,
        "birth_date": None,
        "sex": None,
        "region": None,
        "region_name": None,
    }


def assert_invalid(number: str, code: str, **kw: Any) -> CertNoCheck:
    result = check_certno(number, **kw)
    got = result.as_json()
    reason = got.pop("reason")
    assert got == invalid_json(number)
    assert isinstance(reason, str) and reason.split(":")[0] == code
    return result


def test_mod11_2_known_vector() -> None:
    # Worked example of GB 11643-1999: 11010519491231002X.
    assert mod11_2("11010519491231002") == "X"
    assert check_character("11010519491231002") == "X"


def test_valid_18_digit_kaiping() -> None:
    number = full("44078319850615123")
    assert number == "440783198506151234"
    assert check_certno(number, today=TODAY).as_json() == valid_json(
        number, number, "1985-06-15", "1", "440783", "广东省江门市开平市"
    )


def test_female_from_even_sequence() -> None:
    number = full("44078320010228124")
    result = check_certno(number, today=TODAY)
    assert result.valid and result.sex == "2" and result.birth_date == date(2001, 2, 28)


def test_lower_case_x_accepted_and_normalised() -> None:
    assert check_certno("11010519491231002x", today=TODAY).as_json() == valid_json(
        "11010519491231002x", "11010519491231002X", "1949-12-31", "2", "110105", "北京市朝阳区"
    )


def test_surrounding_whitespace_is_stripped() -> None:
    number = full("44078319850615123")
    raw = f"  \t{number} \n"
    assert check_certno(raw, today=TODAY).as_json() == valid_json(
        raw, number, "1985-06-15", "1", "440783", "广东省江门市开平市"
    )


def test_legacy_15_digit_upgraded() -> None:
    legacy = "440783850615123"
    assert check_certno(legacy, today=TODAY).as_json() == valid_json(
        legacy, "440783198506151234", "1985-06-15", "1", "440783", "广东省江门市开平市"
    )


def test_abolished_code_accepted_after_abolition() -> None:
    # 110103 崇文区 was merged into 东城区 in 2010; numbers keep the old code.
    number = full("11010320150301002")
    assert check_certno(number, today=TODAY).as_json() == valid_json(
        number, number, "2015-03-01", "2", "110103", "北京市崇文区"
    )


def test_code_created_later_accepted_for_early_birth() -> None:
    # 110118 密云区 exists from 2015; no birth-year window is applied.
    number = full("11011819500101001")
    result = check_certno(number, today=TODAY)
    assert result.valid and result.region_name == "北京市密云区"


@pytest.mark.parametrize(
    ("region", "name"),
    [("810000", "香港特别行政区"), ("820000", "澳门特别行政区"), ("830000", "台湾地区")],
)
def test_hk_macau_taiwan_residence_permits(region: str, name: str) -> None:
    number = full(region + "19900101003")
    assert check_certno(number, today=TODAY).as_json() == valid_json(
        number, number, "1990-01-01", "1", region, name, cert_type="17"
    )


def test_bad_check_character_names_expected() -> None:
    number = "440783198506151235"
    result = assert_invalid(number, "bad_check_character", today=TODAY)
    assert result.reason == "bad_check_character: 校验码错误，应为 4"


def test_impossible_birth_date() -> None:
    assert_invalid(full("44078319990230123"), "bad_birth_date", today=TODAY)


def test_impossible_legacy_birth_date() -> None:
    assert_invalid("440783990230123", "bad_birth_date", today=TODAY)


def test_future_birth_date() -> None:
    number = full("44078320240602123")
    assert_invalid(number, "future_birth_date", today=TODAY)
    assert check_certno(number, today=date(2024, 6, 2)).valid


def test_birth_date_too_early() -> None:
    assert_invalid(full("44078318791231123"), "birth_date_too_early", today=TODAY)
    assert check_certno(full("44078318800101123"), today=TODAY).valid


def test_unknown_region() -> None:
    assert_invalid(full("99999919900101123"), "unknown_region", today=TODAY)


@pytest.mark.parametrize("number", ["4407831985061512", "4407831985061512345", "44078319850615"])
def test_wrong_length(number: str) -> None:
    assert_invalid(number, "bad_length", today=TODAY)


@pytest.mark.parametrize(
    "number", ["4407831985A6151235", "44078385A615123", "44078319850615123Y", "４４0783850615123"]
)
def test_bad_characters(number: str) -> None:
    assert_invalid(number, "bad_characters", today=TODAY)


@pytest.mark.parametrize("number", ["", "   ", "\u3000"])
def test_empty(number: str) -> None:
    assert_invalid(number, "empty")


def test_reason_codes_listed() -> None:
    assert set(REASON_CODES) == {
        "empty",
        "bad_length",
        "bad_characters",
        "bad_check_character",
        "bad_birth_date",
        "future_birth_date",
        "birth_date_too_early",
        "unknown_region",
    }


KNOWN_REGIONS = ["440783", "110103", "110105", "120110", "810000", "820000", "830000"]


@given(
    region=st.sampled_from(KNOWN_REGIONS),
    birth=st.dates(min_value=date(1880, 1, 1), max_value=TODAY),
    seq=st.integers(min_value=0, max_value=999),
)
def test_check_character_property(region: str, birth: date, seq: int) -> None:
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    good = full(first17)
    result = check_certno(good, today=TODAY)
    assert result.valid and result.certno18 == good and result.birth_date == birth
    assert result.sex == ("1" if seq % 2 else "2")
    for symbol in SYMBOLS.replace(good[-1], ""):
        bad = check_certno(first17 + symbol, today=TODAY)
        assert not bad.valid
        assert bad.reason is not None and bad.reason.startswith("bad_check_character:")


@given(st.text())
def test_never_raises_on_text(text: str) -> None:
    result = check_certno(text, today=TODAY)
    assert result.certno == text
    assert (result.reason is None) == result.valid
    json.dumps(result.as_json(), ensure_ascii=False)


@given(st.text(alphabet="0123456789xX \t", max_size=20))
def test_never_raises_on_digit_like_text(text: str) -> None:
    result = check_certno(text)
    assert (result.reason is None) == result.valid
    assert result.reason is None or result.reason.split(":")[0] in REASON_CODES


def test_never_raises_on_very_long_input() -> None:
    assert_invalid("1" * 100_000, "bad_length")


def test_day_before_today_boundary() -> None:
    number = full("440783" + (TODAY - timedelta(days=1)).strftime("%Y%m%d") + "123")
    assert check_certno(number, today=TODAY).valid


def test_foreign_permanent_residence_id_of_2023() -> None:
    number = full("94484019900101001")
    assert check_certno(number, today=TODAY).as_json() == {
        "certno": number,
        "valid": True,
        "reason": None,
        "notes": [],
        "cert_type": "07",
        "certno18": number,
        "birth_date": "1990-01-01",
        "sex": None,
        "region": "440000",
        "region_name": "外国人永久居留身份证（广东省受理，国籍代码840）",
    }
    unknown_province = full("99984019900101001")
    assert check_certno(unknown_province, today=TODAY).reason == (
        "unknown_region: 永居证受理地省级代码 99 不存在"
    )
    wrong_check = number[:17] + ("0" if number[17] != "0" else "1")
    assert check_certno(wrong_check, today=TODAY).reason.startswith("bad_check_character")


INNER = "inner_separators: 号码中间含有空格或分隔符，已去除后校验；登记时请录入不含分隔符的号码"
NOT_CHECKED = (
    "check_character_not_checked: 旧版（15位）永居证末位的校验算法未见官方公布，本项目未校验末位"
)


@pytest.mark.parametrize(
    "raw",
    [
        "4407 8319 8506 1512 34",
        "440783 19850615 1234",
        "440783-19850615-1234",
        "440783\u300019850615\u30001234",
        " 440783 198506151234\t",
    ],
)
def test_inner_separators_are_removed_and_said(raw: str) -> None:
    assert check_certno(raw, today=TODAY).as_json() == valid_json(
        raw,
        "440783198506151234",
        "1985-06-15",
        "1",
        "440783",
        "广东省江门市开平市",
        notes=(INNER,),
    )


def test_inner_separators_are_said_also_when_the_number_is_invalid() -> None:
    result = check_certno("4407 8319 8506 1512 35", today=TODAY)
    assert result.reason == "bad_check_character: 校验码错误，应为 4"
    assert result.notes == (INNER,)


def test_other_characters_inside_are_not_separators() -> None:
    assert_invalid("440783/198506151234", "bad_length", today=TODAY)
    assert_invalid("44078319850615123_4", "bad_length", today=TODAY)


def test_older_foreign_permanent_residence_id() -> None:
    number = "USA440785061501"
    assert check_certno(number, today=TODAY).as_json() == {
        "certno": number,
        "valid": True,
        "reason": None,
        "notes": [NOT_CHECKED],
        "cert_type": "07",
        "certno18": None,
        "birth_date": "1985-06-15",
        "sex": None,
        "region": "440000",
        "region_name": "外国人永久居留证（旧版15位，广东省受理，国籍代码USA）",
    }


def test_older_foreign_id_lower_case_and_separators() -> None:
    result = check_certno("kaz 1100 901231 05", today=TODAY)
    assert result.valid and result.notes == (INNER, NOT_CHECKED)
    assert result.birth_date == date(1990, 12, 31) and result.region == "110000"
    assert result.region_name == "外国人永久居留证（旧版15位，北京市受理，国籍代码KAZ）"


def test_older_foreign_id_birth_century_is_the_latest_not_after_today() -> None:
    assert check_certno("USA440705061501", today=TODAY).birth_date == date(2005, 6, 15)
    assert check_certno("USA440724061501", today=TODAY).birth_date == date(1924, 6, 15)
    # 2000-02-29 exists, 1900-02-29 does not.
    assert check_certno("USA440700022901", today=TODAY).birth_date == date(2000, 2, 29)
    assert check_certno("USA440700022901", today=date(1999, 1, 1)).reason == (
        "bad_birth_date: 出生日期 000229 不是有效日期或晚于当前日期"
    )


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("USA440785023001", "bad_birth_date"),
        ("USA440785130101", "bad_birth_date"),
        ("USA990085061501", "unknown_region"),
        ("US1440785061501", "bad_characters"),
        ("USA44078506150X", "bad_characters"),
        ("ÜSA440785061501", "bad_characters"),
        ("USA44078506150", "bad_length"),
        ("USA4407850615011", "bad_length"),
    ],
)
def test_older_foreign_id_invalid(number: str, code: str) -> None:
    assert_invalid(number, code, today=TODAY)


def test_note_codes_listed() -> None:
    assert set(NOTE_CODES) == {"inner_separators", "check_character_not_checked"}
    assert INNER.split(":")[0] in NOTE_CODES and NOT_CHECKED.split(":")[0] in NOTE_CODES


@pytest.mark.parametrize(
    ("code", "known"),
    [
        ("440783", True),
        ("520100", True),
        ("520102", True),
        ("110103", True),  # 崇文区, abolished 2010: still a code that existed
        ("440000", True),
        ("710000", True),
        ("810000", True),
        ("830000", False),  # a residence-permit code, not a GB/T 2260 division
        ("520190", False),  # the project's Gui'an code: the caller decides
        ("000000", False),
        ("999999", False),
        ("44078", False),
        ("4407830", False),
        ("４４0783", False),
        ("", False),
    ],
)
def test_is_region_code(code: str, known: bool) -> None:
    assert is_region_code(code) is known


@given(st.text(max_size=8))
def test_is_region_code_never_raises(text: str) -> None:
    assert is_region_code(text) in (True, False)
