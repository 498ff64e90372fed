"""The departments' spreadsheets: reading and writing .xlsx and .csv files (SPEC section 7).

Reading (:func:`read_table`):

* The format is told by the content, not the name: a zip file is .xlsx; an OLE2 file is an
  old .xls or a password-protected workbook (Excel stores both that way), refused with a
  clear reason; anything else is CSV text.
* CSV encoding: a byte-order mark says UTF-8 (``utf-8-sig``) or UTF-16 (Excel's "Unicode
  text"); otherwise the whole file is decoded strictly as UTF-8, then strictly as GB18030
  (a superset of GBK and GB2312, so GBK files read as ``gb18030``). The encoding used is
  in :attr:`Table.encoding`. The delimiter is a comma, or a tab when the first non-empty
  line has tabs and no comma.
* The header row is the first of the first :data:`HEADER_SEARCH_ROWS` rows where at least
  two cells, and more than half of the non-empty cells, are known headers. Header texts are
  compared without whitespace (``姓 名``) and required-field stars (``*姓名``), and ASCII
  letters without case. Rows above the header are titles (``江门市2022年度…登记表``), kept
  as text. An .xlsx workbook is read from its first sheet with such a header.
* Cells come back as stripped strings, ``""`` when blank: Excel dates as ``YYYY-MM-DD``
  (``YYYY-MM-DD HH:MM:SS`` when a time is set), whole numbers without ``.0``. Excel keeps 15
  significant digits of a number, so a number of 16 or more digits (an 18-digit ID or a
  bank account typed into a number cell) has already lost its last digits: such a cell, and
  a CSV cell in scientific notation (``4.40783E+17``, as Excel saves those), is reported as
  a :class:`CellIssue` ``number_lost_digits`` with the text Excel shows, never guessed back.
  Formulas give the value Excel last computed (none for a file never opened in Excel).
* Blank rows are skipped; data in a column without a header is ignored; columns whose
  header is unknown are listed in :attr:`Table.unknown_columns`.
* Row numbers are as the clerk sees them: the sheet's row number in Excel (title and header
  rows counted), the line number in a CSV (where a quoted cell spans lines, the first line).
* A file that cannot be read raises :class:`SheetError` with a code and a Chinese reason,
  never another exception.

Writing (:func:`write_xlsx`, :func:`write_csv`) streams rows (openpyxl's write-only mode)
and replaces the target only when the file is complete. Formula injection: a text starting
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be taken for a formula
by a spreadsheet program. In .xlsx such a text is stored as a text cell (never a formula)
with Excel's "quote prefix" flag, so the value stays exactly the text and Excel keeps it as
text even when the cell is edited. CSV has no cell types: such a text gets a leading ``'``
(OWASP's advice), and :func:`read_table` removes that one quote again on reading a CSV, so
a file written here reads back as written.
"""

from __future__ import annotations

import csv
import datetime
import io
import os
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from typing import Final, Literal

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

__all__ = [
    "HEADER_SEARCH_ROWS",
    "CellIssue",
    "Row",
    "SheetError",
    "Table",
    "read_table",
    "write_csv",
    "write_xlsx",
]

#: How many rows from the top may hold titles and the header.
HEADER_SEARCH_ROWS: Final = 10
#: Text a spreadsheet program would read as a formula (OWASP "CSV injection").
FORMULA_TRIGGERS: Final = ("=", "+", "-", "@", "\t", "\r")
#: Excel keeps 15 significant digits; a number of 16 digits or more has lost some.
_EXACT_LIMIT: Final = 10**15
_LOST_DIGITS: Final = re.compile(r"[+-]?\d+(\.\d+)?[eE]\+?\d+")
_HEADER_NOISE: Final = re.compile(r"[\s*＊]+")
_ZIP: Final = b"PK\x03\x04"
_OLE2: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_OOXML: Final = "EncryptionInfo".encode("utf-16-le")
_SAMPLE_ROWS: Final = 200  # rows looked at for column widths
_WIDTH: Final = (6, 60)

CsvEncoding = Literal["utf-8-sig", "utf-8", "gb18030"]


class SheetError(Exception):
    """A file that cannot be read as a table: a machine ``code`` and a Chinese ``reason``.

    Codes: ``unreadable`` (missing file, no permission), ``empty``, ``xls_format``,
    ``password_protected``, ``bad_xlsx``, ``not_text``, ``unknown_encoding``, ``bad_csv``,
    ``no_header``, ``duplicate_column``, ``missing_columns``.
    """

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


@dataclass(frozen=True, slots=True)
class CellIssue:
    """A cell whose text cannot be trusted (``number_lost_digits``); ``field`` is canonical."""

    field: str
    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class Row:
    """A data row: its number as the clerk sees it, every known column's text by canonical
    field name (``""`` when blank), and the cells that cannot be trusted."""

    number: int
    cells: dict[str, str]
    issues: tuple[CellIssue, ...] = ()


@dataclass(frozen=True)
class Table:
    """A file read by :func:`read_table`.

    Attributes:
      path: the file.
      format: ``xlsx`` or ``csv``.
      encoding: of a CSV (``utf-8``, ``utf-8-sig``, ``utf-16``, ``gb18030``); None for .xlsx.
      sheet: the sheet read, for .xlsx.
      titles: the texts of the rows above the header (cells of a row joined by a space).
      header_row: the header's row (line) number.
      headers: canonical field name → the header text as it is in the file (for messages).
      unknown_columns: header texts that ``columns`` does not know, in file order.
      rows: the non-blank data rows, in file order.
    """

    path: Path
    format: Literal["xlsx", "csv"]
    encoding: str | None
    sheet: str | None
    titles: tuple[str, ...]
    header_row: int
    headers: dict[str, str]
    unknown_columns: tuple[str, ...]
    rows: list[Row]


def header_key(text: str) -> str:
    """A header as compared: no whitespace or stars, ASCII letters in lower case."""
    return _HEADER_NOISE.sub("", text).lower()


def read_table(path: Path, columns: Mapping[str, str], required: Collection[str] = ()) -> Table:
    """Read an .xlsx or CSV file whose header texts are keys of ``columns`` (each mapped to
    a canonical field name); ``required`` names the canonical fields that must have a
    column. Raises :class:`SheetError` for a file that cannot be read (see the module)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SheetError("unreadable", f"无法读取文件 {path.name}：{error.strerror}") from error
    if not data.strip():
        raise SheetError("empty", "文件为空")
    known = {header_key(text): field for text, field in columns.items()}
    if data.startswith(_OLE2):
        if _ENCRYPTED_OOXML in data:
            raise SheetError("password_protected", "Excel 文件设有密码；请取消密码后重新提交")
        raise SheetError("xls_format", "这是旧版 Excel（.xls）文件；请另存为 .xlsx 或 CSV 后提交")
    if data.startswith(_ZIP):
        return _read_xlsx(path, known, columns, required)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raise SheetError("bad_xlsx", "文件扩展名为 .xlsx，但内容不是 Excel 工作簿")
    return _read_csv(path, data, known, columns, required)


def _read_xlsx(
    path: Path, known: Mapping[str, str], columns: Mapping[str, str], required: Collection[str]
) -> Table:
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise _bad_xlsx(error) from error
    try:
        for sheet in book.worksheets:
            if not isinstance(sheet, ReadOnlyWorksheet):
                continue
            sheet.reset_dimensions()  # some writers declare a wrong size; read every cell
            texts = (
                (number, [_excel_text(value) for value in values])
                for number, values in enumerate(_guarded(sheet), start=1)
            )
            top = list(islice(texts, HEADER_SEARCH_ROWS))
            header = _find_header(top, known)
            if header is not None:
                return _table(
                    path, "xlsx", None, sheet.title, chain(top, texts), header, known,
                    columns, required, unquote=False,
                )  # fmt: skip
    finally:
        book.close()
    raise _no_header()


def _guarded(sheet: ReadOnlyWorksheet) -> Iterator[tuple[object, ...]]:
    """The sheet's rows; openpyxl's exceptions for damaged content become SheetError."""
    rows = sheet.values
    while True:
        try:
            values = next(rows)
        except StopIteration:
            return
        except Exception as error:  # damaged XML inside the workbook
            raise _bad_xlsx(error) from error
        yield values


def _bad_xlsx(error: Exception) -> SheetError:
    return SheetError(
        "bad_xlsx", f"Excel 文件已损坏或不是 .xlsx 格式，无法读取（{type(error).__name__}）"
    )


def _excel_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        if abs(value) >= _EXACT_LIMIT:
            return f"{value:.14E}"  # as Excel shows it; flagged as number_lost_digits
        if isinstance(value, int) or value.is_integer():
            return str(int(value))
        return f"{value:.15g}"
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value).strip()


def _read_csv(
    path: Path,
    data: bytes,
    known: Mapping[str, str],
    columns: Mapping[str, str],
    required: Collection[str],
) -> Table:
    encoding, text = _decode(data)
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = "\t" if "\t" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def records() -> Iterator[tuple[int, list[str]]]:
        start = 1
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise SheetError("bad_csv", f"第{start}行无法按 CSV 读取：{error}") from error
            yield start, values
            start = reader.line_num + 1

    rows = records()
    top = list(islice(rows, HEADER_SEARCH_ROWS))
    header = _find_header(top, known)
    if header is None:
        raise _no_header()
    return _table(
        path, "csv", encoding, None, chain(top, rows), header, known, columns, required,
        unquote=True,
    )  # fmt: skip


def _decode(data: bytes) -> tuple[str, str]:
    """(encoding, text): BOM first, then strict UTF-8, then strict GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    elif b"\x00" in data:
        raise SheetError("not_text", "文件不是文本（CSV）也不是 .xlsx；请提交 .xlsx 或 CSV 文件")
    else:
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            return encoding, data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SheetError(
        "unknown_encoding",
        "CSV 文件的编码无法识别（应为 UTF-8 或 GBK）；请用 Excel 另存为 CSV UTF-8",
    )


def _find_header(top: Sequence[tuple[int, list[str]]], known: Mapping[str, str]) -> int | None:
    """Index in ``top`` of the header row, or None."""
    for index, (_, texts) in enumerate(top):
        filled = [text for text in texts if text]
        hits = sum(1 for text in filled if header_key(text) in known)
        if hits >= 2 and hits * 2 > len(filled):
            return index
    return None


def _no_header() -> SheetError:
    return SheetError(
        "no_header", f"前{HEADER_SEARCH_ROWS}行中未找到表头（如 姓名、身份证号码 等列名）"
    )


def _table(
    path: Path,
    kind: Literal["xlsx", "csv"],
    encoding: str | None,
    sheet: str | None,
    rows: Iterator[tuple[int, list[str]]],
    header: int,
    known: Mapping[str, str],
    columns: Mapping[str, str],
    required: Collection[str],
    *,
    unquote: bool,
) -> Table:
    titles: list[str] = []
    for _ in range(header):
        _, texts = next(rows)
        line = " ".join(text for text in texts if text)
        if line:
            titles.append(line)
    header_row, header_texts = next(rows)
    positions: list[tuple[int, str]] = []
    headers: dict[str, str] = {}
    unknown: list[str] = []
    for index, text in enumerate(header_texts):
        if not text:
            continue
        field = known.get(header_key(text))
        if field is None:
            unknown.append(text)
        elif field in headers:
            raise SheetError(
                "duplicate_column", f"列「{headers[field]}」与列「{text}」是同一项，请删去其中一列"
            )
        else:
            headers[field] = text
            positions.append((index, field))
    missing = [field for field in required if field not in headers]
    if missing:
        names = "、".join(_accepted(field, columns) for field in missing)
        raise SheetError("missing_columns", f"缺少必需的列：{names}")
    data = [row for number, texts in rows if (row := _row(number, texts, positions, unquote))]
    return Table(
        path, kind, encoding, sheet, tuple(titles), header_row, headers, tuple(unknown), data
    )


def _accepted(field: str, columns: Mapping[str, str]) -> str:
    names = [text for text, canonical in columns.items() if canonical == field]
    return names[0] + (f"（或 {'、'.join(names[1:])}）" if names[1:] else "")


def _row(
    number: int, texts: list[str], positions: list[tuple[int, str]], unquote: bool
) -> Row | None:
    """The row's known cells, or None for a blank row."""
    cells: dict[str, str] = {}
    issues: list[CellIssue] = []
    width = len(texts)
    for index, field in positions:
        text = texts[index].strip() if index < width else ""
        if text and (text[0] == "'" or "E" in text or "e" in text):  # rare: look closer
            if unquote and text[0] == "'" and _dangerous(text[1:]):
                text = text[1:].strip()
            if _LOST_DIGITS.fullmatch(text):
                issues.append(CellIssue(field, "number_lost_digits", _lost_digits_reason(text)))
        cells[field] = text
    if not any(cells.values()) and not any(text.strip() for text in texts):
        return None
    return Row(number, cells, tuple(issues))


def _lost_digits_reason(text: str) -> str:
    return (
        f"该单元格以数字格式保存（显示为 {text}），超过15位的数字已被 Excel 改写，无法还原；"
        "请将该列设为文本格式后重新录入完整号码"
    )


def _display_width(value: object) -> int:
    text = _cell_text(value)
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _dangerous(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


def write_xlsx(
    path: Path,
    title: str | None,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    sheet: str = "Sheet1",
    text_columns: Collection[int] = (),
) -> int:
    """Write rows (str, int, Decimal, date, datetime or None cells) under a bold header, and
    above it a merged bold title row when ``title`` is given; column widths from the header
    and the first rows; the panes frozen below the header. ``text_columns`` (0-based) are
    formatted as text, so that what a clerk types there later (an 18-digit number) stays
    text. Streams: memory does not grow with the number of rows. Returns the number of data
    rows written."""
    book = Workbook(write_only=True)
    worksheet = book.create_sheet(sheet)
    source = iter(rows)
    sample = list(islice(source, _SAMPLE_ROWS))
    for index, header in enumerate(headers):
        seen = [_display_width(header)]
        seen += [_display_width(row[index]) for row in sample if index < len(row)]
        width = min(max(max(seen) + 2, _WIDTH[0]), _WIDTH[1])
        worksheet.column_dimensions[get_column_letter(index + 1)].width = width
        if index in text_columns:
            worksheet.column_dimensions[get_column_letter(index + 1)].number_format = "@"
    header_row = 1 if title is None else 2
    worksheet.freeze_panes = f"A{header_row + 1}"  # before the first row: it is written then
    if title is not None:
        if len(headers) > 1:
            worksheet.merged_cells.add(f"A1:{get_column_letter(len(headers))}1")
        cell = WriteOnlyCell(worksheet, value=title)
        cell.font = Font(bold=True, size=14)
        cell.alignment = Alignment(horizontal="center")
        worksheet.append([cell])
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = _text_cell(worksheet, header)
        cell.font = bold
        header_cells.append(cell)
    worksheet.append(header_cells)
    count = 0
    for row in chain(sample, source):
        worksheet.append([_excel_value(worksheet, value) for value in row])
        count += 1
    _replace(path, book.save)
    return count


def _text_cell(worksheet: WriteOnlyWorksheet, text: str) -> Cell:
    """A text cell, never a formula; a formula-like text keeps Excel's quote-prefix flag."""
    cell = WriteOnlyCell(worksheet, value=text)
    cell.data_type = "s"
    if _dangerous(text):
        cell.quotePrefix = True
    return cell


def _excel_value(worksheet: WriteOnlyWorksheet, value: object) -> object:
    if isinstance(value, str) and _dangerous(value):
        return _text_cell(worksheet, value)
    return value


def write_csv(
    path: Path,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    encoding: CsvEncoding = "utf-8-sig",
) -> int:
    """Write a CSV (CRLF lines, as Excel writes them): dates as YYYY-MM-DD, Decimals as
    written, None as blank, formula-like texts behind a ``'``. The default UTF-8 with BOM is
    what Excel opens correctly; ``gb18030`` for systems that want GBK. Returns the number of
    data rows written."""
    count = 0

    def save(target: str) -> None:
        nonlocal count
        with open(target, "w", encoding=encoding, newline="") as stream:
            writer = csv.writer(stream, lineterminator="\r\n")
            writer.writerow([_csv_text(header) for header in headers])
            for row in rows:
                writer.writerow([_csv_text(value) for value in row])
                count += 1

    _replace(path, save)
    return count


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _csv_text(value: object) -> str:
    text = _cell_text(value)
    return "'" + text if isinstance(value, str) and _dangerous(text) else text


def _replace(path: Path, save: Callable[[str], None]) -> None:
    """Write to a temporary file beside ``path``, then put it in place (no half file)."""
    temporary = path.with_name(f".{path.name}.part")
    try:
        save(str(temporary))
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
