"""Fixtures of the batch tests: one local Spark session for the run, and ``engine`` that runs a
test once on DuckDB and once on Spark. If Spark cannot start, the Spark tests fail with the
reason (canbao.batch.spark.SparkUnavailable); none is skipped."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from canbao.batch.spark import SparkUnavailable, session


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """The run's local SparkSession on two processors, stopped at the end of the run."""
    try:
        started = session(cores=2)
    except SparkUnavailable as error:
        pytest.fail(str(error), pytrace=False)
    yield started
    started.stop()


@pytest.fixture(params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def engine(request: pytest.FixtureRequest) -> str:
    """``duckdb`` or ``spark``: a test using it runs on both engines (Spark started once)."""
    if request.param == "spark":
        request.getfixturevalue("spark")
    return str(request.param)
