"""The command line as a person uses it: JSON in, JSON out, exit codes, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
CANBAO = str(Path(sys.executable).parent / "canbao")

PLAIN = {
    "kind": "contribution",
    "region": "440783",
    "year": 2022,
    "paid_on": "2021-11-02",
    "person": {"identities": [], "categories": []},
}


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CANBAO, *args], input=stdin, capture_output=True, text=True, timeout=60, cwd=ROOT
    )


def decide(stdin: Any) -> tuple[int, Any]:
    done = run("decide", stdin=json.dumps(stdin, ensure_ascii=False))
    assert done.stderr == ""
    return done.returncode, json.loads(done.stdout)


def test_decide_from_stdin() -> None:
    code, answer = decide(PLAIN)
    assert code == 0
    assert {k: answer[k] for k in ("status", "rules", "standard", "subsidy", "payable")} == {
        "status": "decided",
        "rules": ["C1", "C7"],
        "standard": 376,
        "subsidy": 0,
        "payable": 376,
    }
    assert answer["citations"][0]["doc"] == "开平市2022年度城乡居民基本医疗保险参保工作方案"


def test_decide_several_files_answers_a_list_in_order(tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps(PLAIN), encoding="utf-8")
    second.write_text(json.dumps({**PLAIN, "region": "441400"}), encoding="utf-8")
    done = run("decide", str(first), str(second))
    assert done.returncode == 0
    answers = json.loads(done.stdout)
    assert [a["standard"] for a in answers] == [376, 320]


def test_malformed_case_lists_every_error_and_exits_2() -> None:
    bad = {
        "kind": "contribution",
        "region": "44078",
        "year": "2022",
        "paid_on": "2021-02-30",
        "person": {"identities": ["dibao", "rich"]},
    }
    code, answer = decide(bad)
    assert code == 2
    assert answer["status"] == "invalid"
    assert answer["rules"] == [] and answer["citations"] == []
    assert [e["path"] for e in answer["errors"]] == [
        "region",
        "year",
        "paid_on",
        "person.identities[1]",
    ]


def test_unknown_kind_and_broken_json_are_invalid_not_tracebacks(tmp_path: Path) -> None:
    code, answer = decide({"kind": "horoscope"})
    assert code == 2 and answer["status"] == "invalid"
    assert answer["errors"][0]["path"] == "kind"
    done = run("decide", stdin="{not json")
    assert done.returncode == 2 and done.stderr == ""
    assert json.loads(done.stdout)["errors"][0]["path"] == "(stdin)"
    missing = tmp_path / "missing.json"
    done = run("decide", str(missing))
    assert done.returncode == 2 and done.stderr == ""
    assert json.loads(done.stdout)["errors"][0]["path"] == str(missing)


def test_a_policy_gap_is_an_answer_not_an_error() -> None:
    code, answer = decide({**PLAIN, "year": 2030})
    assert code == 0
    assert answer["status"] == "policy_gap"
    assert answer["gaps"] == ["resident.individual_standard: 开平市（440783）2030年度无此参数"]


def test_idcheck_prints_one_object_per_number() -> None:
    done = run("idcheck", " 440783198506151234 ", "44078319850615123X")
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 1
    assert lines[0] == {
        "certno": " 440783198506151234 ",
        "valid": True,
        "reason": None,
        "certno18": "440783198506151234",
        "birth_date": "1985-06-15",
        "sex": "1",
        "region": "440783",
        "region_name": "广东省江门市开平市",
    }
    assert lines[1]["valid"] is False
    assert lines[1]["reason"].startswith("bad_check_character")


def test_policy_check_and_show() -> None:
    done = run("policy", "check")
    assert done.returncode == 0
    assert done.stdout.splitlines()[-1].endswith(": 0 problem(s)")
    assert done.stdout.splitlines()[0].startswith(
        "note (T1, the document's own figures): targets/520100_2022.toml row 20 贵阳贵安总计"
    )
    done = run("policy", "show", "520190", "2022")
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert lines[0] == "贵安新区 (520190) 2022年度"
    assert (
        "resident.late_standard = 900 [yuan] ← 贵阳市(520100); 筑医保通〔2021〕34号 三；"
        "原则上按900元标准缴纳" in lines
    )
    assert any(
        line.startswith("subsidy.tuopin = ") and "贵安新区(520190)" in line for line in lines
    )


@pytest.mark.skipif(not SHARED.exists(), reason="../shared is not beside the checkout")
def test_shared_example_scenarios_pass_through_the_cli() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(SHARED / "tools" / "check_scenarios.py"),
            str(SHARED / "scenarios"),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout
    total = len(list((SHARED / "scenarios").glob("*.json")))
    assert done.stdout.strip().splitlines()[-1] == f"{total}/{total} passed"


def test_a_list_on_stdin_answers_a_list_and_one_bad_case_makes_exit_2() -> None:
    code, answers = decide([PLAIN, {"kind": "refund"}, {**PLAIN, "region": "520190"}])
    assert code == 2
    assert [a["status"] for a in answers] == ["decided", "invalid", "decided"]
    assert [a.get("standard") for a in answers] == [376, None, 320]
