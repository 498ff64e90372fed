"""``canbao.batch.synth``: valid, unique ID numbers, the same file on every run, and every
person shape decided by the dedup job as the rules say it should be."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import duckdb
import pytest
from batch_helpers import read_output

from canbao.batch import synth
from canbao.batch.dedup import dedup
from canbao.batch.records import COLUMNS, RecordsError
from canbao.certno import check_certno

PERSONS = 3000
#: Shape → (type, actions, rules) of its duplicate group; shapes absent have no group.
DECIDED = {
    "intra_resident": ("intra_scheme", ("keep", "terminate"), "D1;D2;D3;D6;D7"),
    "school_student": ("intra_scheme", ("keep", "terminate"), "D1;D2;D3;D6;D7"),
    "intra_employee": ("intra_scheme", ("keep", "terminate"), "D1;D2;D3;D7"),
    "cross_long": ("cross_scheme", ("keep", "terminate"), "D1;D2;D3;D6;D7"),
    "cross_three": ("cross_scheme", ("keep", "terminate", "terminate"), "D1;D2;D3;D6;D7"),
    "cross_short": ("cross_scheme", ("", ""), "D1;D2;D7"),
    "flexible": ("cross_scheme", ("keep", "suspend"), "D1;D3;D6;D7"),
    "college_entry": ("intra_scheme", ("keep", "terminate"), "D1;D5;D6;D7"),
    "college_job": ("cross_scheme", ("keep", "suspend"), "D1;D5;D6;D7"),
    "tuopin": ("intra_scheme", ("awaiting_consent", "awaiting_consent"), "D1;D4;D7"),
}


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("synth") / "records.csv"
    result = synth.synth(PERSONS, path)
    assert (result.output, result.persons) == (path, PERSONS)
    return path


def test_weights_are_per_thousand() -> None:
    assert sum(weight for weight, _, _ in synth.SHAPES.values()) == 1000


def test_records_have_the_format_and_valid_unique_numbers(records: Path) -> None:
    con = duckdb.connect()
    cursor = con.execute(f"SELECT * FROM read_csv('{records}', all_varchar = true)")
    assert [d[0] for d in cursor.description or []] == list(COLUMNS)
    rows = con.execute(
        f"SELECT count(*), count(DISTINCT rlts_id), count(DISTINCT psn_no), "
        f"count(DISTINCT certno) FROM read_csv('{records}', all_varchar = true)"
    ).fetchone()
    assert rows is not None
    total, ids, persons, numbers = rows
    assert (ids, persons, numbers) == (total, PERSONS, PERSONS)
    pairs = con.execute(
        f"SELECT DISTINCT certno, gend, brdy FROM read_csv('{records}', all_varchar = true)"
    ).fetchall()
    assert len(pairs) == PERSONS
    for certno, gend, brdy in pairs:
        checked = check_certno(certno)
        assert checked.valid, certno
        assert certno[6:14] == brdy.replace("-", "")
        assert int(certno[16]) % 2 == (1 if gend == "1" else 0)


def test_the_same_file_on_every_run(records: Path, tmp_path: Path) -> None:
    again = synth.synth(PERSONS, tmp_path / "again.csv")
    assert again.output.read_bytes() == records.read_bytes()


def test_every_shape_is_decided_as_the_rules_say(records: Path, tmp_path: Path) -> None:
    shapes = Counter(
        str(shape)
        for (shape,) in duckdb.execute(
            f"SELECT shape FROM ({synth.query(PERSONS)}) WHERE rlts_id LIKE '%0'"
        ).fetchall()
    )
    assert set(shapes) == set(synth.SHAPES)
    dedup(records, tmp_path / "out.csv", as_of=date(2026, 1, 1))
    groups: dict[str, list[dict[str, str]]] = {}
    for row in read_output(tmp_path / "out.csv"):
        groups.setdefault(row["group_id"], []).append(row)
    found = Counter(
        (
            rows[0]["type"],
            tuple(sorted(r["action"] or "" for r in rows)),
            rows[0]["rules"],
        )
        for rows in groups.values()
    )
    expected: Counter[tuple[str, tuple[str, ...], str]] = Counter()
    for shape, decided in DECIDED.items():
        expected[decided] += shapes[shape]
    assert found == expected


def test_bad_output_name(tmp_path: Path) -> None:
    with pytest.raises(RecordsError, match="文件类型须为"):
        synth.synth(10, tmp_path / "records.xlsx")
    assert list(tmp_path.iterdir()) == []
