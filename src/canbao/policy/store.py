"""Loading policy data and resolving a parameter for a region and enrollment year.

Files (see docs/adr/0001-policy-data-format.md):
  data/documents.toml   the documents cited, by document number
  data/rules.toml       the rule ids of SPEC section 4 with the sections they come from
  data/regions.toml     the region hierarchy (national → province → city → county)
  data/values/*/*.toml  dated values, one folder per region, one file per topic
  data/targets/*.toml   target tables as a document prints them (rows, subtotals)

A value applies to one enrollment year (``year``) or to every year from ``from_year`` on.
Resolution for (key, region, year) walks from the region up to the national level and takes
the first region that has a value: one for exactly that year, else the latest ``from_year``
not after it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from canbao.domain.decision import Citation
from canbao.policy.schema import spec_for

DATA = Path(__file__).parent / "data"
NATIONAL = "000000"
#: The source of a value changed for a what-if run (W11), not of a document.
WHAT_IF = "what-if"


@dataclass(frozen=True)
class Source:
    doc: str
    section: str
    note: str | None = None

    @property
    def citation(self) -> Citation:
        return Citation(self.doc, self.section)


@dataclass(frozen=True)
class Value:
    """One dated policy value as written in a data file."""

    key: str
    region: str
    year: int | None
    from_year: int | None
    effective: date | None
    value: Any
    unit: str | None
    source: Source | None
    file: str
    index: int

    def covers(self, year: int) -> bool:
        if self.year is not None:
            return self.year == year
        return self.from_year is not None and self.from_year <= year

    @property
    def place(self) -> str:
        return f"{self.file} value #{self.index} ({self.key})"


@dataclass(frozen=True)
class Region:
    """Attributes:
    code: GB/T 2260 code (520190: project-defined, SPEC section 2).
    name: Chinese name.
    parent: the next region up, for resolving values (county → city → province → national).
    level: national, province, city or county.
    note: why the region sits where it does.
    pooling: the pooling region (统筹地区) the code belongs to, where the documents say.
    pooling_note: where the documents say it.
    documents: the region's own notices among the documents (for naming where they are silent).
    """

    code: str
    name: str
    parent: str | None
    level: str
    note: str | None = None
    pooling: str | None = None
    pooling_note: str | None = None
    documents: tuple[str, ...] = ()


@dataclass(frozen=True)
class Document:
    number: str
    title: str
    issuer: str
    issued: date | None
    in_seeds: bool
    confirmed: bool
    note: str | None
    short: str | None = None
    applies_to: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The name texts use: the document number, or its short name where it has none."""
        return self.short or self.number


@dataclass(frozen=True)
class RuleInfo:
    """A rule of SPEC section 4; a citation scoped to regions applies only within them."""

    id: str
    title: str
    citations: tuple[tuple[Citation, tuple[str, ...]], ...]
    implemented: bool

    def citations_for(self, chain: list[str]) -> list[Citation]:
        return [c for c, regions in self.citations if not regions or set(regions) & set(chain)]


@dataclass(frozen=True)
class TargetRow:
    number: int
    area: str
    target: int
    region: str | None
    parts: tuple[int, ...]


@dataclass(frozen=True)
class TargetTable:
    """A table of enrollment targets, row by row as its document prints it (T1)."""

    file: str
    title: str
    region: str
    year: int
    unit: str
    source: Source | None
    rows: tuple[TargetRow, ...]


class MissingParameter(Exception):
    """A rule needs a value the documents do not give for this region and year."""

    def __init__(self, key: str, region: str, year: int) -> None:
        super().__init__(f"{key} @ {region} {year}")
        self.key, self.region, self.year = key, region, year
        self.rules: tuple[str, ...] = ()  # set by the decision that needed it
        self.citations: tuple[Citation, ...] = ()


@dataclass
class Policy:
    regions: dict[str, Region]
    documents: dict[str, Document]
    rules: dict[str, RuleInfo]
    values: list[Value]
    targets: list[TargetTable] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def chain(self, region: str) -> list[str]:
        """The region and its ancestors up to the national level, most specific first.

        A code not in the hierarchy falls back to its city and province by code prefix: the
        structure of GB/T 2260 codes (xxxx00 city, xx0000 province), not policy. Which pooling
        region a code belongs to is policy data (``pooling_region``), never read from digits.
        """
        chain: list[str] = []
        code: str | None = region if region in self.regions else self._nearest_known(region)
        while code is not None and code not in chain:
            chain.append(code)
            code = self.regions[code].parent if code in self.regions else None
        if NATIONAL not in chain:
            chain.append(NATIONAL)
        return chain

    def _nearest_known(self, region: str) -> str | None:
        for candidate in (region[:4] + "00", region[:2] + "0000"):
            if candidate in self.regions:
                return candidate
        return None

    def pooling_region(self, code: str) -> str | None:
        """The pooling region (统筹地区) of a code: the ``pooling`` of the code or of the nearest
        region above it that has one (regions.toml); None where the data does not say."""
        for known in self.chain(code):
            region = self.regions.get(known)
            if region is not None and region.pooling is not None:
                return region.pooling
        return None

    def documents_place(self, code: str) -> str:
        """The region whose own notices govern ``code`` (the nearest with ``documents``), for
        naming the place whose documents are silent; the code itself where none has any."""
        for known in self.chain(code):
            region = self.regions.get(known)
            if region is not None and region.documents:
                return known
        return code

    def rule_citations(self, rule_id: str, region: str) -> list[Citation]:
        """The sections a rule cites for a decision in ``region``."""
        return self.rules[rule_id].citations_for(self.chain(region))

    def cited(self, rule_id: str, region: str) -> str:
        """A rule's sections for ``region`` as texts name them: ``医保发〔2020〕33号 二（三）``."""
        return "、".join(
            f"{self.document_name(c.doc)} {c.section}" for c in self.rule_citations(rule_id, region)
        )

    def document_name(self, number: str) -> str:
        document = self.documents.get(number)
        return document.name if document is not None else number

    def within(self, code: str | None, area: str) -> bool:
        """Whether ``code`` lies in ``area`` (the area itself or one of its descendants)."""
        return code is not None and area in self.chain(code)

    def find(self, key: str, region: str, year: int) -> Value | None:
        for code in self.chain(region):
            found = self._at(key, code, year)
            if found is not None:
                return found
        return None

    def _at(self, key: str, region: str, year: int) -> Value | None:
        candidates = [v for v in self._by_key.get((key, region), []) if v.covers(year)]
        exact = [v for v in candidates if v.year == year]
        if exact:
            return exact[0]
        open_ended = sorted(candidates, key=lambda v: v.from_year or 0)
        return open_ended[-1] if open_ended else None

    def with_values(self, values: Mapping[str, Any], region: str, year: int) -> Policy:
        """This policy with ``values`` (key → value, parsed and checked:
        :mod:`canbao.policy.override`) in force in ``region`` and every region within it for
        ``year``, their source :data:`WHAT_IF`. The overrides resolve before the data's values
        (``find`` takes the first value for exactly the year)."""
        within = {v.region for v in self.values if self.within(v.region, region)} | {region}
        overrides = [
            Value(
                key=key,
                region=code,
                year=year,
                from_year=None,
                effective=None,
                value=value,
                unit=spec.unit if (spec := spec_for(key)) else None,
                source=Source(WHAT_IF, ""),
                file=WHAT_IF,
                index=index,
            )
            for index, (key, value) in enumerate(values.items(), start=1)
            for code in sorted(within)
        ]
        return replace(self, values=overrides + self.values)

    def covers(self, region: str) -> bool:
        """Whether a document of the project governs enrollment in ``region``."""
        return any(code in self._governed for code in self.chain(region))

    @cached_property
    def _governed(self) -> frozenset[str]:
        return frozenset(code for d in self.documents.values() for code in d.applies_to)

    def region_name(self, code: str) -> str:
        region = self.regions.get(code)
        return region.name if region else code

    @cached_property
    def _by_key(self) -> dict[tuple[str, str], list[Value]]:
        index: dict[tuple[str, str], list[Value]] = {}
        for value in self.values:
            index.setdefault((value.key, value.region), []).append(value)
        return index


class Params:
    """The parameters one decision reads, for one region and year; it remembers their sources."""

    def __init__(self, policy: Policy, region: str, year: int) -> None:
        self.policy, self.region, self.year = policy, region, year
        self.used: list[Value] = []

    def find(self, key: str) -> Value | None:
        """The resolved value with its region and source, recorded as used."""
        found = self.policy.find(key, self.region, self.year)
        if found is not None and found not in self.used:
            self.used.append(found)
        return found

    def get(self, key: str) -> Any | None:
        found = self.find(key)
        return None if found is None else found.value

    def require(self, key: str) -> Any:
        value = self.get(key)
        if value is None:
            raise MissingParameter(key, self.region, self.year)
        return value

    def citations(self) -> list[Citation]:
        return [v.source.citation for v in self.used if v.source is not None]


def _read(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        return tomllib.load(handle, parse_float=Decimal)


def _source(raw: Any) -> Source | None:
    if not isinstance(raw, dict) or not raw.get("doc"):
        return None
    return Source(str(raw["doc"]), str(raw.get("section", "")), raw.get("note"))


def _values(root: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in sorted((root / "values").glob("*/*.toml")):
        yield path, _read(path)


@cache
def load_policy(root: Path = DATA) -> Policy:
    """Read every data file once; problems of form are kept for ``canbao policy check``."""
    problems: list[str] = []
    regions = {
        code: Region(
            code,
            row["name"],
            row.get("parent"),
            row["level"],
            row.get("note"),
            row.get("pooling"),
            row.get("pooling_note"),
            tuple(row.get("documents", ())),
        )
        for code, row in _read(root / "regions.toml").items()
    }
    documents = {
        number: Document(
            number,
            row["title"],
            row.get("issuer", ""),
            row.get("issued"),
            bool(row.get("in_seeds", False)),
            bool(row.get("confirmed", True)),
            row.get("note"),
            row.get("short"),
            tuple(row.get("applies_to", ())),
        )
        for number, row in _read(root / "documents.toml").items()
    }
    rules = {
        rule_id: RuleInfo(
            rule_id,
            row["title"],
            tuple(
                (Citation(c["doc"], c["section"]), tuple(c.get("regions", ())))
                for c in row.get("cites", [])
            ),
            bool(row.get("implemented", True)),
        )
        for rule_id, row in _read(root / "rules.toml").items()
    }
    values: list[Value] = []
    for path, content in _values(root):
        name = str(path.relative_to(root))
        region = content.get("region")
        if not isinstance(region, str):
            problems.append(f'{name}: no region = "code" at the top of the file')
            continue
        for index, row in enumerate(content.get("value", []), start=1):
            values.append(
                Value(
                    key=str(row.get("key", "")),
                    region=region,
                    year=row.get("year"),
                    from_year=row.get("from_year"),
                    effective=row.get("effective"),
                    value=row.get("value"),
                    unit=row.get("unit"),
                    source=_source(row.get("source")),
                    file=name,
                    index=index,
                )
            )
    targets = [_target_table(path, root) for path in sorted((root / "targets").glob("*.toml"))]
    return Policy(regions, documents, rules, values, targets, problems)


def _target_table(path: Path, root: Path) -> TargetTable:
    content = _read(path)
    return TargetTable(
        file=str(path.relative_to(root)),
        title=str(content.get("title", "")),
        region=str(content.get("region", "")),
        year=int(content.get("year", 0)),
        unit=str(content.get("unit", "")),
        source=_source(content.get("source")),
        rows=tuple(
            TargetRow(
                int(row["number"]),
                str(row["area"]),
                int(row["target"]),
                row.get("region"),
                tuple(int(n) for n in row.get("parts", ())),
            )
            for row in content.get("row", [])
        ),
    )
