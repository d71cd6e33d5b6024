"""What an uploaded spreadsheet may ask of a worker, checked before and while it is read.

A 590 KB .xlsx can hold one row of 11.5 million empty cells (230 MiB of XML). openpyxl, even
in read-only mode, builds a whole row in memory before it hands it over, and looking for the
size of a sheet that does not declare one it reads the whole sheet: a worker grew to 7 GB for
3.5 minutes. So the work an upload can cause is bounded before openpyxl or the csv module see
it, and while they read:

- the request: at most MAX_UPLOAD_BYTES (and room for the form around the file), refused as
  it streams in, before a route buffers it (backend/api/request_size.py);
- an .xlsx is a zip: at most MAX_ZIP_ENTRIES parts and MAX_UNZIPPED bytes unpacked, and no
  part larger than RATIO_FLOOR unpacking to more than MAX_RATIO times its packed size;
- then every XML part streams through expat (no tree: constant memory), refused at the first
  excess: a worksheet's declared dimension, a cell in a row beyond MAX_SHEET_ROWS, a row of
  more than MAX_COLUMNS cells, a value beyond column MAX_COLUMNS, more than MAX_CELLS cells in
  the file (blank formatted ones too: they cost the same to read), a text longer than a cell
  holds, more shared strings than cells. Only then does openpyxl open the file, told which
  rows and columns hold data (the dimension the file declares may lie, or be absent);
- a CSV: physical lines of at most MAX_LINE_CHARS, and the same rows, columns and cells.

Each refusal is a 422 problem naming the limit (413 for the size of the request).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from xml.parsers import expat

from backend.core.errors import ProblemError

MAX_UPLOAD_BYTES = 10 * 2**20  # an uploaded file
MAX_UPLOAD_MB = MAX_UPLOAD_BYTES // 2**20
# The request around the file (multipart headers, the other form fields) gets this much more.
REQUEST_ROOM_BYTES = 64 * 2**10
MAX_ROWS = 100_000  # data rows of one file
MAX_SHEET_ROWS = MAX_ROWS + 1_000  # the last row number: room for titles, headers, blank rows
MAX_COLUMNS = 100  # our templates have 4-17 columns; a ledger's own extra ones are ignored
MAX_CELLS = 2_000_000  # e.g. 100,000 rows of 20 columns
MAX_TEXT_CHARS = 32_767  # what one Excel cell holds
MAX_LINE_CHARS = 100_000  # one line of a CSV
MAX_ZIP_ENTRIES = 1_000  # an Excel workbook has a dozen or two
MAX_UNZIPPED = 150 * 2**20  # 100,000 rows of 20 columns are 60-100 MiB of sheet XML
MAX_RATIO = 100  # sheet XML packs 5-20x; the 590 KB file above packed 400x
RATIO_FLOOR = 2**20
CHUNK_BYTES = 64 * 2**10

_CELL_REF = re.compile(r"([A-Za-z]{1,3})(\d+)$")


def refused(detail: str) -> ProblemError:
    return ProblemError(422, detail)


class Budget:
    """The rows, columns and cells of one file, counted as it is read."""

    def __init__(self) -> None:
        self.cells = 0

    def cells_in_row(self, row: int, in_row: int, added: int = 1) -> None:
        """`added` more cells, the row now holding `in_row` of them."""
        if row > MAX_SHEET_ROWS:
            raise refused(f"第 {row:,} 行有内容: 一个文件最多 {MAX_ROWS:,} 行数据 (连同表头与空行"
                          f"最多到第 {MAX_SHEET_ROWS:,} 行), 请分成几个文件导入")
        if in_row > MAX_COLUMNS:
            raise refused(f"第 {row:,} 行超过 {MAX_COLUMNS} 列 (空白单元格也算在内): "
                          f"最多 {MAX_COLUMNS} 列, 请删除多余的列后再导入")
        self.cells += added
        if self.cells > MAX_CELLS:
            raise refused(f"文件的单元格超过 {MAX_CELLS:,} 个 (空白但设置了格式的单元格也算在内):"
                          " 请删除不需导入的列与多余的格式, 或分成几个文件导入")

    @staticmethod
    def value_at(row: int, column: int) -> None:
        if column > MAX_COLUMNS:
            raise refused(f"第 {row:,} 行第 {column:,} 列有内容: 最多 {MAX_COLUMNS} 列, "
                          "请删除多余的列后再导入")


def text_too_long(where: str) -> ProblemError:
    return refused(f"{where}超过 {MAX_TEXT_CHARS:,} 个字符 (Excel 单元格的上限)")


# --- xlsx ----------------------------------------------------------------------------------


@dataclass
class XlsxExtent:
    """Where an .xlsx holds values: openpyxl reads no row or column beyond."""

    last_row: int = 1
    last_column: int = 1


def check_xlsx(archive: zipfile.ZipFile) -> XlsxExtent:
    """The zip's directory, then every XML part of it streamed through expat; 422 at the
    first excess. Returns the extent of the values, for openpyxl."""
    entries = archive.infolist()
    if len(entries) > MAX_ZIP_ENTRIES:
        raise refused(f"Excel 文件包含 {len(entries):,} 个部件, 超过上限 {MAX_ZIP_ENTRIES:,}: "
                      "不是正常的 .xlsx 文件")
    if sum(entry.file_size for entry in entries) > MAX_UNZIPPED:
        raise refused(f"Excel 文件解压后超过 {MAX_UNZIPPED // 2**20} MB 上限, 请分成几个文件导入")
    for entry in entries:
        if entry.file_size > RATIO_FLOOR and entry.file_size > MAX_RATIO * entry.compress_size:
            raise refused(f"Excel 文件的压缩比异常 ({entry.filename} 压缩了 "
                          f"{entry.file_size // max(entry.compress_size, 1):,} 倍, 上限 "
                          f"{MAX_RATIO} 倍), 疑为恶意构造的文件, 拒绝处理")
    budget, extent = Budget(), XlsxExtent()
    for entry in entries:
        _PartScan(budget, extent).read(archive, entry)
    return extent


class _PartScan:
    """One part of the zip through expat, counting as it goes: a worksheet's rows and cells,
    the shared strings; other parts have none of them, and a part that is not XML at all
    (an image) stops at its first byte (openpyxl then reads it as what it is, or refuses)."""

    def __init__(self, budget: Budget, extent: XlsxExtent) -> None:
        self.budget, self.extent = budget, extent
        self.row = 0  # the current row's number
        self.in_row = 0  # cells seen in it
        self.column = 0  # the current cell's column
        self.text = 0  # characters since the last start tag
        self.strings = 0

    def read(self, archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> None:
        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.StartElementHandler = self.start
        parser.CharacterDataHandler = self.characters
        parser.StartDoctypeDeclHandler = self.doctype
        try:
            with archive.open(entry) as part:
                while chunk := part.read(CHUNK_BYTES):
                    parser.Parse(chunk, False)
                parser.Parse(b"", True)
        except expat.ExpatError:
            return  # not XML (from here on): nothing of it becomes a cell

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.text = 0
        local = _LOCAL_NAMES.get(name) or _local_name(name)
        if local == "c":
            self.in_row += 1
            ref = attrs.get("r")
            self.column = _COLUMNS.get(ref.rstrip(_DIGITS), _BEYOND) if ref else self.column + 1
            self.budget.cells_in_row(self.row, self.in_row)
        elif local == "v" or local == "is":
            self.budget.value_at(self.row, self.column)
            self.extent.last_row = max(self.extent.last_row, self.row)
            self.extent.last_column = max(self.extent.last_column, self.column)
        elif local == "row":
            number = attrs.get("r")
            self.row = int(number) if number is not None else self.row + 1
            self.in_row = self.column = 0
        elif local == "si":
            self.strings += 1
            if self.strings > MAX_CELLS:
                raise refused(f"Excel 文件的共享字符串超过 {MAX_CELLS:,} 个, 请分成几个文件导入")
        elif local == "dimension":
            _check_dimension(attrs.get("ref", ""))

    def characters(self, data: str) -> None:
        self.text += len(data)
        if self.text > MAX_TEXT_CHARS:
            raise text_too_long(f"第 {self.row:,} 行有单元格" if self.row else "有文字")

    @staticmethod
    def doctype(*_args) -> None:
        raise refused("Excel 文件中含有 DOCTYPE 声明: 不是正常的 .xlsx 文件")


def _letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# Looked up for every cell of a sheet: a dict beats parsing the reference (2M cells: seconds).
_COLUMNS = {_letters(n): n for n in range(1, 16_385)}  # A .. XFD, Excel's last column
_BEYOND = 16_385
_DIGITS = "0123456789"
_LOCAL_NAMES: dict[str, str] = {}


def _local_name(name: str) -> str:
    """"x:c" -> "c": some writers prefix SpreadsheetML's elements."""
    return _LOCAL_NAMES.setdefault(name, name.rpartition(":")[2])


def _check_dimension(ref: str) -> None:
    """The size the sheet says it has (`A1:K1200`): refused when beyond the limits. Only a
    first look: the cells themselves are counted whatever it says."""
    match = _CELL_REF.match(ref.rpartition(":")[2])
    if match is None:
        return  # absent or unreadable: the cells are counted anyway
    columns, rows = _COLUMNS.get(match.group(1).upper(), _BEYOND), int(match.group(2))
    if rows > MAX_SHEET_ROWS or columns > MAX_COLUMNS:
        raise refused(f"工作表的范围是 {ref} ({rows:,} 行 × {columns:,} 列), 超过上限 "
                      f"{MAX_SHEET_ROWS:,} 行 × {MAX_COLUMNS} 列: 请删除多余的行、列与格式,"
                      " 或分成几个文件导入")


# --- csv -----------------------------------------------------------------------------------


def bounded_lines(lines):
    """A CSV's physical lines, refused at the first that is too long."""
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE_CHARS:
            raise refused(f"CSV 第 {number:,} 行超过 {MAX_LINE_CHARS:,} 个字符: 不是正常的表格")
        yield line
