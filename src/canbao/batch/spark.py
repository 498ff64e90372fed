"""A local Apache Spark session for the batch jobs (``--engine spark``).

``session()`` starts (or returns the running) SparkSession in local mode on every processor of
the machine, quiet, with the session time zone UTC so that dates read and written are the dates
in the files. A machine without Java, or a Spark that cannot start, is a SparkUnavailable with
the reason; no job falls back to another engine silently.
"""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


class SparkUnavailable(Exception):
    """Spark cannot start here: the reason, in Chinese, with what to install."""


def session(cores: int | None = None) -> SparkSession:
    """The local SparkSession (``local[cores]``, every processor by default)."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise SparkUnavailable("Spark 需要 Java 17：未找到 java（请安装 openjdk-17-jre-headless）")
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:  # pragma: no cover - pyspark is a dependency
        raise SparkUnavailable(f"未安装 pyspark：{error}") from error
    master = f"local[{cores or '*'}]"
    try:
        spark = (
            SparkSession.builder.master(master)
            .appName("canbao")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", str(4 * (cores or os.cpu_count() or 1)))
            .config("spark.driver.memory", os.environ.get("CANBAO_SPARK_MEMORY", "4g"))
            .getOrCreate()
        )
    except Exception as error:  # the JVM's own failure, reported with its first line
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise SparkUnavailable(f"Spark 无法启动：{first}") from error
    spark.sparkContext.setLogLevel("ERROR")
    return spark
