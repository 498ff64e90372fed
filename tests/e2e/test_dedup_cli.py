"""``canbao synth`` and ``canbao dedup`` as a clerk runs them: summaries, exit codes, one
Chinese line for bad input with no output file, and the progress bar only on a terminal."""

from __future__ import annotations

import json
import os
import pty
import subprocess
from pathlib import Path

from conftest import CANBAO, Run

HEADER = (
    "rlts_id,psn_no,certno,psn_name,gend,brdy,insutype,psn_type,insuplc_admdvs,psn_insu_stas,"
    "psn_clct_stas,begndate,enddate,places,flexible,employee_continuous_months,identities,"
    "categories,entered_school_year"
)
RECORDS = [
    "A1,P1,440783199001011234,张三,1,1990-01-01,390,1501,440783,1,1,2024-01-01,,"
    "habitual_residence,false,0,,,",
    "A2,P1,440783199001011234,张三,1,1990-01-01,390,1501,520102,1,1,2024-03-01,2024-12-31,"
    "hukou,false,0,,,",
]


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def test_dedup_writes_rows_and_a_summary(canbao: Run, tmp_path: Path) -> None:
    source = write(tmp_path / "records.csv", RECORDS)
    out = tmp_path / "duplicates.csv"
    done = canbao("dedup", str(source), str(out), "--as-of", "2025-06-30", "--json")
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr == b""  # no progress bar: stderr is not a terminal
    summary = json.loads(done.stdout)
    assert {k: summary[k] for k in ("records", "groups", "rows", "shapes", "gaps")} == {
        "records": 2,
        "groups": 1,
        "rows": 2,
        "shapes": 1,
        "gaps": 0,
    }
    assert summary["actions"] == {"keep": 1, "terminate": 1}
    assert out.read_text(encoding="utf-8").splitlines() == [
        "rlts_id,certno,group_id,type,action,subsidy_deduction,notify_region,rules,status",
        "A1,440783199001011234,440783199001011234/A1,intra_scheme,keep,false,,"
        "D1;D2;D3;D6;D7,decided",
        "A2,440783199001011234,440783199001011234/A1,intra_scheme,terminate,true,520102,"
        "D1;D2;D3;D6;D7,decided",
    ]


def test_bad_input_is_one_line_exit_2_and_no_file(canbao: Run, tmp_path: Path) -> None:
    source = write(tmp_path / "records.csv", [RECORDS[0], RECORDS[1].replace("2024-03-01", "x")])
    out = tmp_path / "duplicates.parquet"
    done = canbao("dedup", str(source), str(out))
    assert done.returncode == 2
    assert done.stdout == b""
    assert done.stderr.decode() == (
        f"canbao: {source}：第3行，列 begndate：应为日期（YYYY-MM-DD）（值为“x”）\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["records.csv"]
    for args, message in [
        (["--engine", "oracle"], "canbao: --engine 须为 duckdb 或 spark，而不是“oracle”\n"),
        (
            ["--as-of", "2025-13-01"],
            "canbao: --as-of 须为 YYYY-MM-DD 格式的日期，而不是“2025-13-01”\n",
        ),
    ]:
        done = canbao("dedup", str(source), str(out), *args)
        assert (done.returncode, done.stderr.decode()) == (2, message)


def test_help_has_examples_and_exit_codes(canbao: Run) -> None:
    for command in (["dedup"], ["synth"], ["bench", "batch"]):
        done = canbao(*command, "--help")
        text = done.stdout.decode("utf-8")
        assert done.returncode == 0 and done.stderr == b""
        assert "Example" in text and "Exit codes" in text


def test_synth_then_dedup_with_a_progress_bar_on_a_terminal(canbao: Run, tmp_path: Path) -> None:
    records = tmp_path / "records.parquet"
    done = canbao("synth", "--persons", "500", str(records))
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().startswith(f"已写出 {records}：500 人，")
    assert done.stderr == b""
    leader, follower = pty.openpty()
    child = subprocess.run(
        [CANBAO, "dedup", str(records), str(tmp_path / "out.csv"), "--as-of", "2026-01-01"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=follower,
        env={**os.environ, "TERM": "xterm", "COLUMNS": "100"},
        timeout=300,
        check=False,
    )
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert child.returncode == 0
    assert "读取并检查记录".encode() in shown  # the first step, drawn when the bar starts
    assert b"/4" in shown  # steps done of the four
    assert child.stdout.decode().startswith(f"已写出 {tmp_path / 'out.csv'}：")
