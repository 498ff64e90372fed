"""The command line as a person uses it: JSON in, JSON out, exit codes, never a traceback."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from canbao import __version__
from canbao.cli import main
from canbao.contract import schema
from conftest import ROOT, Run

PLAIN = {
    "kind": "contribution",
    "region": "440783",
    "year": 2022,
    "paid_on": "2021-11-02",
    "person": {"identities": [], "categories": []},
}
KINDS = "benefit_start, contribution, duplicates, eligibility, refund"


def answer(done: Any) -> Any:
    assert done.stderr == b"", done.stderr.decode("utf-8", "replace")
    return json.loads(done.stdout.decode("utf-8"))


def decide(canbao: Run, stdin: Any) -> tuple[int, Any]:
    done = canbao("decide", stdin=json.dumps(stdin, ensure_ascii=False))
    return done.returncode, answer(done)


def test_version(canbao: Run) -> None:
    done = canbao("--version")
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        f"canbao {__version__}\n".encode(),
        b"",
    )


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["decide"],
        ["idcheck"],
        ["policy"],
        ["policy", "check"],
        ["policy", "show"],
        ["policy", "diff"],
        ["bench"],
        ["bench", "decide"],
        ["bench", "api"],
        ["serve"],
        ["user"],
        ["user", "add"],
    ],
)
def test_every_command_has_help_with_examples_and_exit_codes(
    canbao: Run, command: list[str]
) -> None:
    done = canbao(*command, "--help")
    text = done.stdout.decode("utf-8")
    assert done.returncode == 0 and done.stderr == b""
    assert "Example" in text and "Exit codes" in text


def test_decide_from_stdin(canbao: Run) -> None:
    code, got = decide(canbao, PLAIN)
    assert code == 0
    assert {k: got[k] for k in ("status", "rules", "standard", "subsidy", "payable")} == {
        "status": "decided",
        "rules": ["C1", "C7"],
        "standard": 376,
        "subsidy": 0,
        "payable": 376,
    }
    assert got["citations"][0]["doc"] == "开平市2022年度城乡居民基本医疗保险参保工作方案"


def test_dash_is_stdin_and_no_file_is_stdin(canbao: Run) -> None:
    body = json.dumps(PLAIN)
    assert answer(canbao("decide", "-", stdin=body)) == answer(canbao("decide", stdin=body))


def test_a_utf8_byte_order_mark_is_accepted(canbao: Run, tmp_path: Path) -> None:
    body = b"\xef\xbb\xbf" + json.dumps(PLAIN, ensure_ascii=False).encode("utf-8")
    path = tmp_path / "bom.json"
    path.write_bytes(body)
    from_stdin, from_file = canbao("decide", stdin=body), canbao("decide", str(path))
    assert from_stdin.returncode == from_file.returncode == 0
    assert answer(from_stdin) == answer(from_file)
    assert answer(from_file)["standard"] == 376


def test_several_files_and_stdin_answer_one_list_in_order(canbao: Run, tmp_path: Path) -> None:
    first, listed = tmp_path / "a.json", tmp_path / "list.json"
    first.write_text(json.dumps(PLAIN), encoding="utf-8")
    listed.write_text(
        json.dumps([{**PLAIN, "region": "441400"}, {**PLAIN, "region": "520190"}]),
        encoding="utf-8",
    )
    stdin = json.dumps({**PLAIN, "region": "520102"})
    done = canbao("decide", str(first), "-", str(listed), stdin=stdin)
    assert done.returncode == 0
    assert [a["standard"] for a in answer(done)] == [376, 320, 320, 320]
    assert [a["kind"] for a in answer(done)] == ["contribution"] * 4


def test_a_list_on_stdin_answers_a_list_and_one_bad_case_makes_exit_2(canbao: Run) -> None:
    code, answers = decide(canbao, [PLAIN, {"kind": "refund"}, {**PLAIN, "region": "520190"}])
    assert code == 2
    assert [a["status"] for a in answers] == ["decided", "invalid", "decided"]
    assert [a.get("standard") for a in answers] == [376, None, 320]


def test_a_list_of_one_is_still_a_list_and_an_empty_list_is_empty(canbao: Run) -> None:
    code, answers = decide(canbao, [PLAIN])
    assert code == 0 and isinstance(answers, list) and len(answers) == 1
    assert decide(canbao, []) == (0, [])


def test_the_cli_asks_the_contract_to_prefix_each_case_by_its_index(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The index of a case in the answer list reaches ``canbao.contract.decide_case(at=…)``."""
    from canbao.cli import decide as command
    from canbao.contract import inputs

    seen: list[str] = []
    real = inputs.decide_case

    def spy(raw: Any, policy: Any = None, *, at: str = "") -> Any:
        seen.append(at)
        return real(raw, policy, at=at)

    monkeypatch.setattr(inputs, "decide_case", spy)
    one, many = tmp_path / "one.json", tmp_path / "many.json"
    one.write_text(json.dumps(PLAIN), encoding="utf-8")
    many.write_text(json.dumps([PLAIN, PLAIN]), encoding="utf-8")
    command.decide_inputs([str(one)])
    assert seen == [""]
    seen.clear()
    command.decide_inputs([str(many)])
    assert seen == ["[0]", "[1]"]
    seen.clear()
    command.decide_inputs([str(one), str(many), str(one)])
    assert seen == ["[0]", "[1]", "[2]", "[3]"]


def test_errors_in_a_list_carry_the_index_of_their_case(canbao: Run) -> None:
    code, answers = decide(canbao, [PLAIN, {**PLAIN, "kind": "horoscope"}])
    assert code == 2
    assert [e["path"] for e in answers[1]["errors"]] == ["[1].kind"]


def test_malformed_case_lists_every_error_and_exits_2(canbao: Run) -> None:
    bad = {
        "kind": "contribution",
        "region": "44078",
        "year": "2022",
        "paid_on": "2021-02-30",
        "person": {"identities": ["dibao", "rich"]},
    }
    code, got = decide(canbao, bad)
    assert code == 2
    assert got["status"] == "invalid"
    assert got["rules"] == [] and got["citations"] == []
    assert [(e["path"], e["code"]) for e in got["errors"]] == [
        ("paid_on", "invalid_date"),
        ("person.identities[1]", "unknown_code"),
        ("region", "invalid_region"),
        ("year", "invalid_year"),
    ]


def invalid_input(path: str, code: str, reason: str) -> dict[str, Any]:
    return {
        "kind": "unknown",
        "status": "invalid",
        "rules": [],
        "citations": [],
        "explanation": f"案例格式有误，共1处：{path} {reason}",
        "errors": [{"path": path, "code": code, "reason": reason}],
    }


@pytest.mark.parametrize(
    ("stdin", "code", "reason"),
    [
        (b"\xff\xfe{}", "not_utf8", "不是 UTF-8 编码的文本（第1个字节起）"),
        (b'{"kind": "\xe4\xb8"}', "not_utf8", "不是 UTF-8 编码的文本（第11个字节起）"),
        (b"{not json", "not_json", "不是有效的 JSON："),
        (b"", "not_json", "不是有效的 JSON："),
        (b'{"year": NaN}', "not_json", "不是有效的 JSON：NaN 不是 JSON 数值"),
        (b"[" * 100_000, "not_json", "不是有效的 JSON：嵌套层数过多"),
    ],
)
def test_input_that_is_not_utf8_or_not_json_is_invalid_not_a_traceback(
    canbao: Run, stdin: bytes, code: str, reason: str
) -> None:
    done = canbao("decide", stdin=stdin)
    assert done.returncode == 2
    got = answer(done)
    if reason.endswith("："):  # the JSON parser's own words follow
        assert got["errors"][0]["reason"].startswith(reason)
        reason = got["errors"][0]["reason"]
    assert got == invalid_input("(stdin)", code, reason)


def test_an_unreadable_file_is_invalid_and_the_others_are_answered(
    canbao: Run, tmp_path: Path
) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(PLAIN), encoding="utf-8")
    missing = tmp_path / "missing.json"
    done = canbao("decide", str(missing), str(tmp_path), str(good))
    assert done.returncode == 2
    answers = answer(done)
    assert answers[0] == invalid_input(str(missing), "unreadable", "无法读取：文件不存在")
    assert answers[1] == invalid_input(str(tmp_path), "unreadable", "无法读取：这是一个目录")
    assert answers[2]["status"] == "decided"


def test_a_huge_integer_reaches_the_case_not_the_parser(canbao: Run) -> None:
    done = canbao(
        "decide", stdin=json.dumps(PLAIN).replace('"year": 2022', '"year": ' + "9" * 5000)
    )
    assert done.returncode == 2
    errors = answer(done)["errors"]
    assert [e["path"] for e in errors] == ["year"]


def test_unknown_kind_is_invalid(canbao: Run) -> None:
    code, got = decide(canbao, {"kind": "horoscope"})
    assert code == 2 and got["status"] == "invalid"
    assert got["errors"][0]["path"] == "kind"


def test_a_policy_gap_is_an_answer_not_an_error(canbao: Run) -> None:
    code, got = decide(canbao, {**PLAIN, "year": 2030})
    assert code == 0
    assert got["status"] == "policy_gap"
    assert got["gaps"] == ["resident.individual_standard: 开平市（440783）2030年度无此参数"]


@pytest.mark.parametrize("kind", [None, "contribution", "refund"])
def test_schema_prints_the_contract_schema(canbao: Run, kind: str | None) -> None:
    done = canbao("decide", "--schema", *([kind] if kind else []))
    assert done.returncode == 0
    assert answer(done) == schema(kind)


def test_schema_of_an_unknown_kind_is_a_clear_error(canbao: Run) -> None:
    done = canbao("decide", "--schema", "horoscope")
    assert (done.returncode, done.stdout) == (2, b"")
    assert done.stderr.decode("utf-8") == (f"canbao: 未知的案例类型 'horoscope'；可选：{KINDS}\n")
    done = canbao("decide", "--schema", "refund", "duplicates")
    assert (done.returncode, done.stderr.decode("utf-8")) == (
        2,
        "canbao: --schema 只接受一个案例类型\n",
    )


KAIPING = {
    "certno18": "440783198506151234",
    "birth_date": "1985-06-15",
    "sex": "1",
    "region": "440783",
    "region_name": "广东省江门市开平市",
}
SPACES = "inner_separators: 号码中间含有空格或分隔符，已去除后校验；登记时请录入不含分隔符的号码"
NOT_CHECKED = (
    "check_character_not_checked: 旧版（15位）永居证末位的校验算法未见官方公布，本项目未校验末位"
)


def lines(done: Any) -> list[dict[str, Any]]:
    assert done.stderr == b""
    return [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]


def test_idcheck_prints_one_object_per_number(canbao: Run) -> None:
    done = canbao("idcheck", " 440783198506151234 ", "44078319850615123X")
    assert done.returncode == 2
    got = lines(done)
    assert got[0] == {
        "certno": " 440783198506151234 ",
        "valid": True,
        "reason": None,
        "notes": [],
        "cert_type": "01",
        **KAIPING,
    }
    assert got[1]["valid"] is False
    assert got[1]["reason"] == "bad_check_character: 校验码错误，应为 4"


def test_idcheck_says_when_a_number_has_spaces_inside(canbao: Run) -> None:
    done = canbao("idcheck", "4407 8319 8506 1512 34", "440783-19850615-1234")
    assert done.returncode == 0
    assert lines(done) == [
        {
            "certno": number,
            "valid": True,
            "reason": None,
            "notes": [SPACES],
            "cert_type": "01",
            **KAIPING,
        }
        for number in ("4407 8319 8506 1512 34", "440783-19850615-1234")
    ]


def test_idcheck_older_foreign_permanent_residence_ids(canbao: Run) -> None:
    done = canbao("idcheck", "USA440785061501")
    assert done.returncode == 0
    assert lines(done) == [
        {
            "certno": "USA440785061501",
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
    ]
    done = canbao("idcheck", "USA440785023001", "USA990085061501", "U5A440785061501")
    assert done.returncode == 2
    assert [line["reason"] for line in lines(done)] == [
        "bad_birth_date: 出生日期 850230 不是有效日期或晚于当前日期",
        "unknown_region: 永居证受理地省级代码 99 不存在",
        "bad_characters: 旧版永居证号码应为3位拉丁字母（国籍代码）加12位数字",
    ]


def test_idcheck_reads_stdin_lines_also_when_not_utf8(canbao: Run) -> None:
    done = canbao("idcheck", stdin=b"440783198506151234\n\n\xff44078319850615123\n")
    assert done.returncode == 2
    got = lines(done)
    assert [line["valid"] for line in got] == [True, False]
    assert got[1]["reason"].startswith("bad_characters")


def test_policy_check(canbao: Run) -> None:
    done = canbao("policy", "check")
    assert done.returncode == 0
    out = done.stdout.decode("utf-8").splitlines()
    assert out[-1].endswith(": 0 problem(s)")
    assert out[0].startswith(
        "note (T1, the document's own figures): targets/520100_2022.toml row 20 贵阳贵安总计"
    )


def test_policy_show_text(canbao: Run) -> None:
    done = canbao("policy", "show", "520190", "2022")
    assert done.returncode == 0
    out = done.stdout.decode("utf-8").splitlines()
    assert out[:2] == [
        "贵安新区 (520190) 2022年度",
        "解析顺序: 贵安新区(520190) → 贵阳市(520100) → 贵州省(520000) → 全国(000000)",
    ]
    assert (
        "resident.late_standard = 900 [yuan] ← 贵阳市(520100); 筑医保通〔2021〕34号 三；"
        "原则上按900元标准缴纳" in out
    )
    assert any(line.startswith("subsidy.tuopin = ") and "贵安新区(520190)" in line for line in out)


def test_policy_show_json(canbao: Run) -> None:
    done = canbao("policy", "show", "520190", "2022", "--json")
    assert done.returncode == 0
    got = answer(done)
    assert {k: got[k] for k in ("region", "region_name", "year", "known", "chain")} == {
        "region": "520190",
        "region_name": "贵安新区",
        "year": 2022,
        "known": True,
        "chain": [
            {"region": "520190", "region_name": "贵安新区"},
            {"region": "520100", "region_name": "贵阳市"},
            {"region": "520000", "region_name": "贵州省"},
            {"region": "000000", "region_name": "全国"},
        ],
    }
    late = [v for v in got["values"] if v["key"] == "resident.late_standard"]
    assert late == [
        {
            "key": "resident.late_standard",
            "value": 900,
            "unit": "yuan",
            "region": "520100",
            "region_name": "贵阳市",
            "year": 2022,
            "from_year": None,
            "effective": "2021-09-30",
            "source": {
                "doc": "筑医保通〔2021〕34号",
                "section": "三",
                "note": "原则上按900元标准缴纳",
            },
            "confirmed": True,
        }
    ]
    assert [v["key"] for v in got["values"]] == sorted(v["key"] for v in got["values"])
    assert got["targets"] == [
        {
            "area": "贵安新区小计",
            "target": 130829,
            "unit": "persons",
            "title": "2022年贵阳贵安居民医保集中征缴期参保目标数",
            "source": {"doc": "筑医保通〔2021〕34号", "section": "附件"},
        }
    ]


MINIMUM_2022 = {
    "key": "resident.individual_minimum",
    "value": 320,
    "unit": "yuan",
    "region": "000000",
    "region_name": "全国",
    "year": 2022,
    "from_year": None,
    "effective": "2021-06-08",
    "source": {
        "doc": "医保发〔2021〕32号",
        "section": "一（经筑医保通〔2021〕34号 一 引用）",
        "note": "印发日期按公开报道",
    },
    "confirmed": True,
}
MINIMUM_2023 = {
    "key": "resident.individual_minimum",
    "value": 350,
    "unit": "yuan",
    "region": "000000",
    "region_name": "全国",
    "year": 2023,
    "from_year": None,
    "effective": "2022-07-01",
    "source": {
        "doc": "2022年国家城乡居民医保工作通知",
        "section": "一",
        "note": "未经核实：据官方新闻报道",
    },
    "confirmed": False,
}


def test_policy_diff_shows_the_national_minimum_rising_from_2022_to_2023(canbao: Run) -> None:
    done = canbao("policy", "diff", "440783", "2023", "--json")
    assert done.returncode == 0
    got = answer(done)
    assert {k: got[k] for k in ("region", "region_name", "from_year", "to_year")} == {
        "region": "440783",
        "region_name": "开平市",
        "from_year": 2022,
        "to_year": 2023,
    }
    minimum = [c for c in got["changed"] if c["key"] == "resident.individual_minimum"]
    assert minimum == [
        {"key": "resident.individual_minimum", "old": MINIMUM_2022, "new": MINIMUM_2023}
    ]
    assert got["added"] == []
    # Kaiping's own 2022 standard (376) has no 2023 successor in the documents.
    assert "resident.individual_standard" in [v["key"] for v in got["removed"]]

    text = canbao("policy", "diff", "440783", "2023").stdout.decode("utf-8").splitlines()
    assert text[0] == "开平市 (440783) 2022年度 → 2023年度"
    at = text.index(
        "~ resident.individual_minimum: 320 [yuan] ← 全国(000000); 医保发〔2021〕32号 "
        "一（经筑医保通〔2021〕34号 一 引用）；印发日期按公开报道"
    )
    assert text[at + 1] == (
        "                             → 350 [yuan] ← 全国(000000); 2022年国家城乡居民医保工作通知 "
        "一；未经核实：据官方新闻报道 （未经核实）"
    )


def test_policy_diff_of_a_year_with_no_change(canbao: Run) -> None:
    done = canbao("policy", "diff", "440783", "2040")
    assert done.returncode == 0
    assert done.stdout.decode("utf-8") == "开平市 (440783) 2039年度 → 2040年度\n\n（无变化）\n"


@pytest.mark.parametrize("command", ["show", "diff"])
@pytest.mark.parametrize("region", ["99", "999999", "52019", "abcdef"])
def test_policy_show_and_diff_refuse_what_is_no_region(
    canbao: Run, command: str, region: str
) -> None:
    done = canbao("policy", command, region, "2022")
    assert (done.returncode, done.stdout) == (2, b"")
    assert done.stderr.decode("utf-8") == (
        f"canbao: {region!r} 不是行政区划代码（GB/T 2260 六位代码，或本项目的 520190 贵安新区）\n"
    )


def test_a_real_region_outside_the_documents_resolves_to_the_national_values(
    canbao: Run,
) -> None:
    done = canbao("policy", "show", "110000", "2022")
    assert done.returncode == 0
    out = done.stdout.decode("utf-8").splitlines()
    assert out[:2] == [
        "北京市 (110000) 2022年度 — 政策数据未收录此区划，按上级区划解析",
        "解析顺序: 全国(000000)",
    ]
    assert "resident.individual_minimum = 320 [yuan] ← 全国(000000); 医保发〔2021〕32号 " in (
        done.stdout.decode("utf-8")
    )


@pytest.mark.parametrize(
    "args",
    [
        ["policy", "show", "440783", "next"],
        ["policy", "nope"],
        ["decide", "--no-such-option"],
        ["bench", "decide", "--cases", "0"],
        ["idcheck", "--json"],
    ],
)
def test_usage_errors_exit_2_without_a_traceback(canbao: Run, args: list[str]) -> None:
    done = canbao(*args)
    assert done.returncode == 2
    assert b"Traceback" not in done.stderr and b"Error" in done.stderr


def test_an_unexpected_error_is_one_chinese_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from canbao.cli import decide as command

    def broken(names: list[str]) -> Any:
        raise KeyError("boom\nsecond line")

    monkeypatch.setattr(command, "decide_inputs", broken)
    assert main(["decide", str(ROOT / "examples" / "contribution_guiyang_dibao.json")]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "canbao: 内部错误，命令未完成（KeyError：'boom\\nsecond line'）\n"


def test_main_returns_the_exit_code_of_the_command() -> None:
    assert main(["decide", str(ROOT / "examples" / "refund_meizhou_joined_employee.json")]) == 0
    assert main(["--version"]) == 0


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=200) | st.text(max_size=60).map(str.encode))
def test_no_input_bytes_make_decide_raise(data: bytes, capsys: pytest.CaptureFixture[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "case.json"
        path.write_bytes(data)
        assert main(["decide", str(path), str(path)]) in (0, 2)
    answers = json.loads(capsys.readouterr().out)
    assert isinstance(answers, list)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    command=st.sampled_from([["policy", "show"], ["policy", "diff"], ["idcheck"]]),
    words=st.lists(st.text(max_size=12), min_size=1, max_size=3),
)
def test_no_arguments_make_a_command_raise(
    command: list[str], words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*command, *words]) in (0, 2)
    assert "Traceback" not in capsys.readouterr().err
