"""Spreadsheets built to hurt a server: a row of millions of cells packed into a few hundred KB,
a sheet whose declared size lies, a zip bomb, a CSV of one endless line (issue 9).

Each is a real file: a workbook openpyxl writes, with its sheet's XML swapped for the crafted
one, streamed into the zip (nothing of that size is ever held in memory here).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator

import openpyxl

SHEET = "xl/worksheets/sheet1.xml"
HEADER = ["户编号", "姓名", "公民身份号码"]


def column_letter(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def header_row() -> str:
    cells = "".join(f'<c r="{column_letter(i)}1" t="inlineStr"><is><t>{text}</t></is></c>'
                    for i, text in enumerate(HEADER, start=1))
    return f'<row r="1">{cells}</row>'


def xlsx_with_rows(rows: Iterable[str], dimension: str | None = None,
                   compresslevel: int = 1) -> bytes:
    """A workbook whose first sheet holds these `<row>` elements (after our header row)."""
    book = openpyxl.Workbook()
    book.active.title = "居民"
    base = io.BytesIO()
    book.save(base)
    out = io.BytesIO()
    with zipfile.ZipFile(base) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as target:
        for entry in source.infolist():
            if entry.filename != SHEET:
                target.writestr(entry, source.read(entry))
        with target.open(SHEET, "w", force_zip64=True) as sheet:
            sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                        b'2006/main">')
            if dimension:
                sheet.write(f'<dimension ref="{dimension}"/>'.encode())
            sheet.write(b"<sheetData>" + header_row().encode())
            for row in rows:
                sheet.write(row.encode())
            sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


def _in_pieces(start: str, cells: Iterator[str], end: str, per_piece: int = 10_000):
    yield start
    piece: list[str] = []
    for cell in cells:
        piece.append(cell)
        if len(piece) == per_piece:
            yield "".join(piece)
            piece = []
    yield "".join(piece) + end


def one_row_of_empty_cells(count: int) -> bytes:
    """The file of the issue: one row of `count` empty cells, packed a few hundred times."""
    cells = ("<c/>" for _ in range(count))
    return xlsx_with_rows(_in_pieces('<row r="2">', cells, "</row>"), compresslevel=9)


def one_row_of_numbers(count: int) -> bytes:
    """One row of `count` numbered cells: it packs only ~10x, so no zip check trips on it."""
    cells = (f"<c><v>{n * 7919 % 1000003}</v></c>" for n in range(count))
    return xlsx_with_rows(_in_pieces('<row r="2">', cells, "</row>"))


def blank_formatted_rows(rows: int, columns: int) -> bytes:
    """`rows` rows of `columns` blank cells with a format (what a formatted range leaves)."""
    letters = [column_letter(c) for c in range(1, columns + 1)]

    def row(number: int) -> str:
        return f'<row r="{number}">' + "".join(
            f'<c r="{letter}{number}" s="{number % 7}"/>' for letter in letters) + "</row>"

    return xlsx_with_rows(row(n) for n in range(2, rows + 2))


def residents_rows(household_id: int, numbers: list[str]) -> Iterator[str]:
    for n, id_number in enumerate(numbers, start=2):
        yield (f'<row r="{n}"><c r="A{n}"><v>{household_id}</v></c>'
               f'<c r="B{n}" t="inlineStr"><is><t>居民{n}</t></is></c>'
               f'<c r="C{n}" t="inlineStr"><is><t>{id_number}</t></is></c></row>')


def zip_of_many_parts(count: int) -> bytes:
    """A workbook with `count` extra (tiny) parts in its zip."""
    book = openpyxl.Workbook()
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer, "a") as archive:
        for n in range(count):
            archive.writestr(f"customXml/item{n}.xml", "<a/>")
    return buffer.getvalue()


def csv_of_one_line(chars: int) -> bytes:
    """A CSV whose second line never ends: `chars` characters of one field after another."""
    return ("姓名,公民身份号码\n" + "x," * (chars // 2) + "\n").encode()
