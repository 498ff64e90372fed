"""Batch jobs over whole populations (issue 7): duplicate clean-up, roster matching, what-if,
targets and progress. Each job runs on DuckDB (embedded, the default) and unchanged on Apache
Spark (``--engine spark``); both give identical outputs on the same input."""
