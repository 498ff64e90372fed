"""Dated policy parameters with their sources, loaded from the data files in ``data/``."""

from canbao.policy.store import (
    Document,
    MissingParameter,
    Params,
    Policy,
    Region,
    RuleInfo,
    Source,
    Value,
    load_policy,
)

__all__ = [
    "Document",
    "MissingParameter",
    "Params",
    "Policy",
    "Region",
    "RuleInfo",
    "Source",
    "Value",
    "load_policy",
]
