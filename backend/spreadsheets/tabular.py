"""Spreadsheets in and out: .xlsx and .csv read into rows keyed by field, and written from rows.

Offices exchange their ledgers as Excel sheets, so this module speaks Excel's dialect:
- headers are the Chinese labels of our templates (姓名, 公民身份号码 …) or the field names;
  a title line above the header, a `*` after a required column's name and our second header
  row of field names are all understood;
- CSV comes as UTF-8 (with or without BOM), GB18030/GBK (what Chinese Excel writes), or UTF-16;
- cells come typed as Excel stores them: dates as dates or serial numbers, long digit strings
  as numbers (an ID number typed into a General cell has lost its last digits: we say so).

What is written is what Excel opens well: CSV with a BOM, xlsx with text-formatted code
columns, enumerations by their Chinese labels, times in Beijing time.

Nothing here knows about imports or permissions: `backend/imports` does.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import re
import typing
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation

from backend.core.db import BEIJING
from backend.core.errors import ProblemError
from backend.core.labels import LabeledEnum
from backend.core.schemas import column_python_type
from backend.spreadsheets import limits

XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA = "text/csv; charset=utf-8"

MAX_ROWS = limits.MAX_ROWS  # data rows of one file; more: split it (backend/spreadsheets/limits.py)
XLSX_MAX_ROWS = 1_048_576 - 2  # Excel's last row, less our two header rows
HEADER_SEARCH_ROWS = 10  # a title line or two above the header is common
INSTRUCTIONS_SHEET = "填写说明"
# Excel keeps 15 significant digits; a longer number has lost its tail.
EXCEL_DIGITS = 15
EXCEL_CELL_CHARS = 32767

_BLANK = ("", None)


# --- columns ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TabColumn:
    """One column of an entity's sheet: its field, the header users read, how cells convert."""

    field: str
    label: str
    kind: str  # text | int | float | bool | date | datetime | enum | tags | json
    enum: type[LabeledEnum] | None = None
    required: bool = False
    note: str = ""

    @property
    def choices(self) -> list[str]:
        return [m.label for m in self.enum] if self.enum is not None else []


def _kind(py_type: Any) -> str:
    if isinstance(py_type, type) and issubclass(py_type, LabeledEnum):
        return "enum"
    return {str: "text", int: "int", float: "float", bool: "bool", dt.date: "date",
            dt.datetime: "datetime"}.get(py_type, "tags" if py_type == list[str] else "json")


def _label(column) -> str:
    label = column.comment or column.name
    # A parent's id column is labelled by the parent (户, 楼栋): say it is its number.
    if column.foreign_keys and column.name.endswith("_id") and not label.endswith("编号"):
        label += "编号"
    return label


def _schema_enum(annotation: Any) -> type[LabeledEnum] | None:
    """The enumeration inside an annotation: KeyGroup in list[KeyGroup], Sex in Sex | None."""
    stack = [annotation]
    while stack:
        current = stack.pop()
        if isinstance(current, type) and issubclass(current, LabeledEnum):
            return current
        stack.extend(typing.get_args(current))
    return None


def columns_for(spec, importing: bool = False) -> list[TabColumn]:
    """The sheet's columns: every column clients see (export), or what a create takes (import)."""
    table = spec.model.__table__.columns
    if not importing:
        return [TabColumn(name, _label(col), _kind(column_python_type(col)),
                          getattr(col.type, "enum_class", None))
                for name, col in spec.columns.items()]
    result = []
    for name, info in spec.create_schema.model_fields.items():
        col = table.get(name)
        py_type = column_python_type(col) if col is not None else str
        kind = _kind(py_type)
        enum = _schema_enum(info.annotation) if kind in ("enum", "tags") else None
        label = _label(col) if col is not None else (info.title or name)
        notes = [info.description or ""]
        if col is not None and col.foreign_keys and name.endswith("_id"):
            parent = label.removesuffix("编号")
            notes.append(f"系统中{parent}的编号: 见「{parent}」列表或其导出文件的「编号」列")
        default = None if info.is_required() else info.get_default(call_default_factory=True)
        if default not in (None, [], ""):
            column = TabColumn(name, label, kind, enum)
            notes.append(f"留空为「{display(column, default)}」")
        result.append(TabColumn(name, label, kind, enum, info.is_required(),
                                "; ".join(n for n in notes if n)))
    return result


def normalise_header(text: Any) -> str:
    """'公民身份号码*' / ' 姓名（必填）' / 'ID_Number' -> the key headers are matched by."""
    value = str(text).replace("\ufeff", "").strip()
    value = re.sub(r"[（(][^）)]*[）)]\s*$", "", value)  # a trailing remark in brackets
    value = value.strip().rstrip("*＊").strip()
    return re.sub(r"\s+", "", value).lower()


def header_aliases(columns: Iterable[TabColumn], extra: Iterable[TabColumn] = ()) -> dict[str, str]:
    """Normalised header -> field, for the Chinese label and the field name of each column."""
    aliases: dict[str, str] = {}
    for col in [*extra, *columns]:
        aliases[normalise_header(col.field)] = col.field
        aliases[normalise_header(col.label)] = col.field
        aliases[normalise_header(col.label.removesuffix("编号"))] = col.field
    return aliases


# --- reading ---------------------------------------------------------------------------------


@dataclass
class Header:
    position: int  # 0-based
    text: str  # as written in the file
    field: str | None  # None: a column we do not know

    @property
    def letter(self) -> str:
        return get_column_letter(self.position + 1)


@dataclass
class Sheet:
    """A parsed file: its header and its non-blank data rows, numbered as the user sees them."""

    headers: list[Header]
    rows: list[tuple[int, dict[str, Any]]]  # (row number, {field: raw cell value})
    header_row: int
    sheet_name: str | None = None
    warnings: list[str] = field(default_factory=list)

    def take(self, size: int) -> Iterator[list[tuple[int, dict[str, Any]]]]:
        """The rows, `size` at a time, each chunk handed over and let go: an import checks
        them once, and 100,000 of them need not stay in memory beside what it made of them."""
        while self.rows:
            chunk = self.rows[:size]
            del self.rows[:size]
            yield chunk

    def header_for(self, field_name: str) -> Header | None:
        return next((h for h in self.headers if h.field == field_name), None)

    @property
    def fields(self) -> set[str]:
        return {h.field for h in self.headers if h.field}


def _unreadable(detail: str, status: int = 422) -> ProblemError:
    return ProblemError(status, detail)


def _blank(cells: Iterable[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _xlsx_rows(content: bytes) -> Iterator[tuple[str, Iterator[tuple[int, tuple]]]]:
    try:
        extent = limits.check_xlsx(zipfile.ZipFile(io.BytesIO(content)))
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except ProblemError:
        raise
    # A damaged or foreign zip: openpyxl raises a dozen different things (ParseError, KeyError,
    # TypeError, ValueError, OSError ... in a fuzz of mutated workbooks); each is the file's
    # fault, and no upload may answer 500.
    except Exception:  # noqa: BLE001
        raise _unreadable("无法读取该 Excel 文件: 文件已损坏或不是 .xlsx 格式") from None
    try:
        for sheet in book.worksheets:
            if sheet.title.strip() == INSTRUCTIONS_SHEET:
                continue
            # Up to the last row and column holding a value, whatever the sheet declares.
            rows = sheet.iter_rows(max_row=extent.last_row, max_col=extent.last_column,
                                   values_only=True)
            yield sheet.title, enumerate(rows, start=1)
    finally:
        book.close()


def _decode(content: bytes) -> str:
    if content.startswith(codecs.BOM_UTF8):
        return content[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict")
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return content.decode("utf-16")
    for encoding in ("utf-8", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _unreadable("无法识别 CSV 文件的编码: 请保存为 UTF-8 或 GB18030 (GBK) 编码")


def _csv_rows(content: bytes) -> Iterator[tuple[str, Iterator[tuple[int, tuple]]]]:
    try:
        text = _decode(content)
    except UnicodeDecodeError:
        raise _unreadable("CSV 文件的编码有误: 请保存为 UTF-8 或 GB18030 (GBK) 编码") from None
    first_line = text[:limits.MAX_LINE_CHARS + 1].split("\n", 1)[0]
    delimiter = max(",\t;", key=first_line.count)

    def rows() -> Iterator[tuple[int, tuple]]:
        lines = limits.bounded_lines(io.StringIO(text, newline=""))
        reader = csv.reader(lines, delimiter=delimiter)
        budget = limits.Budget()
        number = 0
        try:
            for number, values in enumerate(reader, start=1):
                budget.cells_in_row(number, len(values), len(values))
                yield number, tuple(values)
        except csv.Error as exc:
            raise _unreadable(f"CSV 第 {number + 1} 行格式错误: {exc}") from None

    yield "", rows()


def read_table(content: bytes, file_name: str, columns: list[TabColumn],
               known: Sequence[TabColumn] = ()) -> Sheet:
    """Parse an uploaded .xlsx or .csv; 4xx ProblemError for anything that is not a table of ours.

    `columns` are the fields rows may carry; `known` further columns that are recognised and
    ignored (an export's id and timestamps). The first sheet whose first rows hold a header
    naming at least one of them is read; blank rows are skipped.
    """
    if not content.strip():
        raise _unreadable("文件为空")
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise _unreadable("不支持旧版 Excel (.xls) 文件: 请在 Excel 中另存为 .xlsx 后再导入", 415)
    is_xlsx = content.startswith(b"PK\x03\x04")
    if not is_xlsx and file_name.lower().endswith((".xlsx", ".xlsm")):
        raise _unreadable("无法读取该 Excel 文件: 文件已损坏或不是 .xlsx 格式")
    aliases = header_aliases(columns, known)
    wanted = {c.field for c in columns}
    sheets = _xlsx_rows(content) if is_xlsx else _csv_rows(content)
    try:
        for sheet_name, rows in sheets:
            sheet = _read_sheet(sheet_name, rows, aliases, wanted)
            if sheet is not None:
                return sheet
    except ProblemError:
        raise
    # A malformed sheet inside a valid zip: openpyxl parses its rows lazily, here, and raises
    # as many kinds of error as when opening the book (above).
    except Exception:  # noqa: BLE001
        raise _unreadable("无法读取该文件: 内容已损坏") from None
    names = "、".join(c.label for c in columns[:6])
    raise _unreadable(f"未找到表头: 前 {HEADER_SEARCH_ROWS} 行中没有可识别的列名 (如 {names}); "
                      "请使用下载的模板")


def _read_sheet(name: str, rows: Iterator[tuple[int, tuple]], aliases: dict[str, str],
                wanted: set[str]) -> Sheet | None:
    headers: list[Header] | None = None
    header_row = 0
    for number, values in rows:
        if _blank(values):
            if number >= HEADER_SEARCH_ROWS:
                return None
            continue
        candidate = [Header(i, "" if v is None else str(v).strip(),
                            aliases.get(normalise_header(v)) if v is not None else None)
                     for i, v in enumerate(values)]
        if any(h.field in wanted for h in candidate):
            headers, header_row = candidate, number
            break
        if number >= HEADER_SEARCH_ROWS:
            return None
    if headers is None:
        return None
    seen: dict[str, Header] = {}
    for header in headers:
        if header.field is None:
            continue
        if header.field in seen:
            first = seen[header.field]
            raise _unreadable(f"列「{header.text}」重复: {first.letter} 列和 {header.letter} 列"
                              " 指向同一字段")
        seen[header.field] = header
    sheet = Sheet([h for h in headers if h.text], [], header_row, name or None)
    unknown = [h.text for h in sheet.headers if h.field is None]
    if unknown:
        sheet.warnings.append("已忽略无法识别的列: " + "、".join(unknown[:20]))
    field_names = set(seen)  # the columns we know, each with its header in `seen`
    for number, values in rows:
        if _blank(values):
            continue
        cells = {field: values[h.position] if h.position < len(values) else None
                 for field, h in seen.items()}
        # Our templates and exports carry the field names in a second header row.
        if (not sheet.rows and number == header_row + 1
                and all((isinstance(v, str) and v.strip() in field_names) or v in _BLANK
                        for v in cells.values())):
            continue
        if len(sheet.rows) >= MAX_ROWS:
            raise _unreadable(f"数据超过 {MAX_ROWS:,} 行: 一个文件最多 {MAX_ROWS:,} 行数据, "
                              "请分成几个文件导入")
        sheet.rows.append((number, cells))
    return sheet


# --- cells to values ---------------------------------------------------------------------


class CellError(ValueError):
    """A cell that cannot mean anything for its column; the message says why, in Chinese."""


EXCEL_ERRORS = {"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!"}
_SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d+)?[eE][+-]?\d+$")
_TRUE = {"是", "y", "yes", "true", "1", "√", "✓", "对", "有"}
_FALSE = {"否", "n", "no", "false", "0", "×", "✗", "错", "无"}
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_TAG_SEPARATORS = re.compile(r"[|,，、;；/\s]+")
NUMBER_LOST = ("单元格是数字而不是文本: Excel 只保留 15 位有效数字, 后面几位 (以及末位 X) 已丢失。"
               "请把该列设为「文本」格式 (或在号码前加英文单引号 ') 后重新填写")


def _excel_serial(value: float) -> dt.date:
    if not 1 <= value <= 2958465:  # 1900-01-01 .. 9999-12-31
        raise CellError("不是有效的日期")
    return from_excel(value).date()


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        if isinstance(value, float) and not value.is_integer():
            return repr(value)
        if abs(value) >= 10**EXCEL_DIGITS:
            raise CellError(NUMBER_LOST)
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    text = str(value).strip()
    if _SCIENTIFIC.match(text):
        raise CellError(NUMBER_LOST)
    return text or None


def _date(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _excel_serial(value)
    text = str(value).strip()
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return dt.date(*(int(g) for g in match.groups()))
            except ValueError:
                raise CellError(f"「{text}」不是有效的日期") from None
    if re.fullmatch(r"\d{1,7}(\.\d+)?", text):
        return _excel_serial(float(text))
    return text  # the schema says what is wrong with it


def _enum_value(enum: type[LabeledEnum] | None, text: str) -> str:
    if enum is None:
        return text
    for member in enum:
        if text == member.label or text.lower() == member.value.lower():
            return member.value
    return text


def cell_value(column: TabColumn, value: Any) -> Any:
    """A raw cell as the create schema takes it; None for blank. CellError if it cannot be."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS:
        raise CellError(f"单元格是公式的错误值 {value.strip()}, 请填写实际内容")
    kind = column.kind
    if kind == "date":
        return _date(value)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        answer = (_text(value) or "").lower()
        if answer in _TRUE:
            return True
        if answer in _FALSE:
            return False
        raise CellError("应为「是」或「否」")
    if kind in ("int", "float"):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        return str(value).strip().replace(",", "")
    text = _text(value)
    if text is None:
        return None
    if kind == "enum":
        return _enum_value(column.enum, text)
    if kind == "tags":
        return [_enum_value(column.enum, t) for t in _TAG_SEPARATORS.split(text) if t]
    return text


# --- writing ---------------------------------------------------------------------------------


def display(column: TabColumn, value: Any) -> Any:
    """A stored value as a cell users read: labels for codes, 是/否, Beijing time."""
    if value is None:
        return None
    if isinstance(value, LabeledEnum):
        return value.label
    if column.enum is not None and isinstance(value, str):
        return next((m.label for m in column.enum if m.value == value), value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(BEIJING).replace(tzinfo=None)
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "|".join(cast(str, getattr(v, "label", v)) for v in value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def formula_safe(text: str) -> str:
    """Text Excel would run as a formula (=, @, or +/- not followed by a number) gets a leading
    apostrophe, which Excel shows as text: a ledger cell must never execute (CSV injection)."""
    if text[:1] in ("=", "@") or (text[:1] in ("+", "-") and not _NUMBER.fullmatch(text[1:])):
        return "'" + text
    return text


def csv_cell(value: Any) -> Any:
    if isinstance(value, str):
        return formula_safe(value)
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, dt.datetime) \
            else value.isoformat()
    return value


_HEADER_FONT = Font(bold=True)
_FIELD_FONT = Font(color="808080", italic=True, size=9)
_REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_EXAMPLE_FONT = Font(color="808080", italic=True)
_FORMATS = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm:ss", "text": "@"}


_NUMBER = re.compile(r"[0-9][0-9 .]*")


def _xlsx_safe(sheet, value: Any, number_format: str | None = None):
    """A cell that is data, never a formula: text starting with '=' stays text."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if len(value) > EXCEL_CELL_CHARS:  # Excel refuses to open the file otherwise
            value = value[:EXCEL_CELL_CHARS - 1] + "…"
        if value.startswith("=") or number_format:
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            if number_format:
                cell.number_format = number_format
            return cell
        return value
    if number_format and isinstance(value, dt.date):
        # openpyxl writes a date as well as a datetime; its stubs name only the latter.
        cell = WriteOnlyCell(sheet, value=value)  # type: ignore[arg-type]
        cell.number_format = number_format
        return cell
    return value


def _width(column: TabColumn) -> float:
    return max(10.0, min(40.0, len(column.label) * 2.2 + 4 if column.kind != "text" else 18.0))


def write_xlsx(columns: list[TabColumn], rows: Iterable[dict[str, Any]], sheet_title: str) -> bytes:
    """An xlsx of rows (streamed through openpyxl's write-only mode): Chinese headers in row 1,
    field names in row 2 (so that the file can be imported again), data from row 3."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_sheet_title(sheet_title))
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = _width(column)
    sheet.freeze_panes = "A3"
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.label)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        header.append(cell)
    sheet.append(header)
    names = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.field)
        cell.font = _FIELD_FONT
        names.append(cell)
    sheet.append(names)
    formats = [_FORMATS.get(c.kind) if c.kind != "text" else None for c in columns]
    text_columns = [c.kind == "text" for c in columns]
    for row in rows:
        sheet.append([
            _xlsx_safe(sheet, display(c, row.get(c.field)),
                       "@" if is_text and row.get(c.field) is not None else fmt)
            for c, fmt, is_text in zip(columns, formats, text_columns, strict=True)
        ])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    return re.sub(r"[\\/*?:\[\]]", "_", title)[:31] or "Sheet1"


def csv_chunks(columns: list[TabColumn], rows: Iterable[dict[str, Any]],
               rows_per_chunk: int = 500) -> Iterator[str]:
    """The one CSV writer: a BOM (Excel then reads the Chinese right), the header rows of
    write_xlsx, the rows as users read them; in chunks of `rows_per_chunk` rows, to stream."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([c.label for c in columns])
    writer.writerow([c.field for c in columns])
    for n, row in enumerate(rows, start=1):
        writer.writerow([csv_cell(display(c, row.get(c.field))) for c in columns])
        if n % rows_per_chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_csv(columns: list[TabColumn], rows: Iterable[dict[str, Any]]) -> bytes:
    """The whole CSV of csv_chunks at once."""
    return "".join(csv_chunks(columns, rows)).encode("utf-8")


# --- templates -----------------------------------------------------------------------------


def _format_note(column: TabColumn) -> str:
    if column.kind == "enum":
        return "可选值: " + " / ".join(column.choices)
    if column.kind == "tags":
        return ("可填多个, 用 | 或 、 分隔; 可选值: " + "、".join(column.choices)
                if column.choices else "可填多个, 用 | 分隔")
    return {
        "date": "日期, 格式 YYYY-MM-DD (如 1980-05-17); Excel 日期单元格亦可",
        "datetime": "日期时间, 格式 YYYY-MM-DD HH:MM (北京时间)",
        "bool": "是 / 否 (留空为否)",
        "int": "整数",
        "float": "数字",
    }.get(column.kind, "文本")


def example_row(spec, columns: list[TabColumn], instead: dict[str, Any] | None = None
                ) -> dict[str, Any]:
    """The template's example: the API's first example, with `instead`'s fields in place of
    its own (None values leave a cell blank: a resident placed by address, not by 户编号)."""
    examples = (spec.create_schema.model_config.get("json_schema_extra") or {}).get("examples")
    example = (examples[0] if examples else {}) | (instead or {})
    result = {}
    for column in columns:
        value = example.get(column.field)
        if column.kind == "date" and isinstance(value, str):
            value = dt.date.fromisoformat(value)
        result[column.field] = display(column, value)
    return result


def _instructions(spec, columns: list[TabColumn], instead: dict[str, Any] | None = None
                  ) -> list[list[Any]]:
    rows: list[list[Any]] = [
        [f"{spec.label}导入模板 填写说明"],
        [],
        ["1. 在「" + spec.label + "」工作表中从第 3 行起每行填写一条记录; 第 1 行是列名,"
         " 第 2 行是系统字段名, 请勿修改或删除这两行。"],
        ["2. 第 3 行灰色斜体是示例, 原样保留时导入会自动跳过; 也可直接删除。"],
        ["3. 带 * 且标为浅橙色的列必须填写; 其他列可以留空, 空行会被跳过。"],
        ["4. 日期写成 1980-05-17 (或使用 Excel 日期格式)。"],
        ["5. 身份证号、电话、编码等请保持「文本」格式 (模板中已设置): 若被 Excel 转成数字,"
         " 18 位身份证号会丢失后几位和末位 X, 这样的行会被退回。"],
        ["6. 导入方式: 默认「全部或全不」, 任何一行有错都不写入, 并列出每处错误的行号和列名;"
         " 也可先「试运行」只检查不写入, 或明确选择「仅导入有效行」。"],
        ["7. 只能导入您管辖网格内的数据; 编码和所属关系须已在系统中存在。"
         " 所在的户、楼栋按「楼栋」「单元」「房号」填写即可, 无需系统编号。"],
        [],
        ["列名", "字段名", "是否必填", "格式 / 可选值", "说明", "示例"],
    ]
    example = example_row(spec, columns, instead)
    for column in columns:
        value = example.get(column.field)
        if isinstance(value, dt.date):
            value = value.isoformat()
        rows.append([column.label, column.field, "必填" if column.required else "选填",
                     _format_note(column), column.note, value])
    return rows


def template_xlsx(spec, columns: list[TabColumn], instead: dict[str, Any] | None = None
                  ) -> bytes:
    """The import template: the data sheet (headers, field names, one example) and 填写说明."""
    book = Workbook()
    sheet = book.worksheets[0]  # a new workbook's one sheet (`active`, typed as maybe none)
    sheet.title = _sheet_title(spec.label)
    sheet.freeze_panes = "A3"
    example = example_row(spec, columns, instead)
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        dimension = sheet.column_dimensions[letter]
        dimension.width = _width(column)
        if column.kind in _FORMATS:
            dimension.number_format = _FORMATS[column.kind]  # what users type stays text
        head = sheet.cell(1, index, column.label + ("*" if column.required else ""))
        head.font = _HEADER_FONT
        head.fill = _REQUIRED_FILL if column.required else _HEADER_FILL
        head.alignment = Alignment(horizontal="center")
        head.comment = Comment(_format_note(column) + (f"\n{column.note}" if column.note else ""),
                               "GridLink")
        sheet.cell(2, index, column.field).font = _FIELD_FONT
        cell = sheet.cell(3, index, example.get(column.field))
        cell.font = _EXAMPLE_FONT
        if column.kind in _FORMATS:
            cell.number_format = _FORMATS[column.kind]
        if isinstance(cell.value, str):
            cell.data_type = "s"
        choices = (["是", "否"] if column.kind == "bool" else column.choices
                   if column.kind == "enum" else [])
        if choices:
            rule = DataValidation(type="list", formula1='"' + ",".join(choices) + '"',
                                  allow_blank=True, showErrorMessage=True,
                                  errorTitle=column.label, error=_format_note(column))
            rule.add(f"{letter}3:{letter}{MAX_ROWS + 2}")
            sheet.add_data_validation(rule)
    notes = book.create_sheet(INSTRUCTIONS_SHEET)
    for row in _instructions(spec, columns, instead):
        notes.append(row)
    notes["A1"].font = Font(bold=True, size=14)
    for cell in notes[11]:
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
    for letter, width in zip("ABCDEF", (18, 18, 10, 60, 40, 24), strict=True):
        notes.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def template_csv(spec, columns: list[TabColumn], instead: dict[str, Any] | None = None
                 ) -> bytes:
    """The CSV template: Chinese headers (* required), field names, one example row."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([c.label + ("*" if c.required else "") for c in columns])
    writer.writerow([c.field for c in columns])
    example = example_row(spec, columns, instead)
    writer.writerow([csv_cell(example.get(c.field)) for c in columns])
    return buffer.getvalue().encode("utf-8")
