"""Temporary shim until the ID-number package rename lands."""

from canbao.identity.certno import _regions


def is_region_code(code: str) -> bool:
    return code in _regions()


def region_name(code: str) -> str | None:
    return _regions().get(code)
