"""A run as the office prints it (xlsx): title, the run's particulars, then one row per unit:
rank, unit, each item's points, total, grade, veto reason (and the stars or the bottom-two
flag where the level has them). Landscape, one page wide, the header row on every page."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from backend.assessment.models import AssessmentLevel, AssessmentRun, Grade, RunStatus
from backend.core.db import BEIJING

THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
HEADER_ROW = 3


def file_name(run: AssessmentRun) -> str:
    return f"{run.period_label}{run.scheme_snapshot['name']}结果.xlsx"


def run_xlsx(run: AssessmentRun, area_name: str, scores: list[dict[str, Any]]) -> bytes:
    snapshot = run.scheme_snapshot
    items = [item for item in snapshot["items"] if item["kind"] != "veto"]
    level = AssessmentLevel(run.level)
    extra = ({AssessmentLevel.grid_chief: ["星级网格员"],
              AssessmentLevel.community: ["连续末两位季度", "末位预警"]}.get(level, []))
    headers = (["名次", f"考核对象 ({level.label})"]
               + [f"{item['name']}\n({item['points']}分)" for item in items]
               + ["总分", "等级", "否决理由", *extra])
    book = Workbook()
    sheet = book.worksheets[0]  # a new workbook's one sheet (`active`, typed as maybe none)
    sheet.title = "考核结果"
    sheet.append([f"{area_name}{run.period_label}{snapshot['name']}结果"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    sheet["A1"].font = Font(size=16, bold=True)
    sheet["A1"].alignment = CENTRE
    computed = run.computed_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    status = "已定稿" if run.status is RunStatus.final else "草稿 (未定稿)"
    sheet.append([f"考核期: {run.period_first} 至 {run.period_last}    状态: {status}    "
                  f"计算时间: {computed}    考核对象: {run.units} 个"])
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(headers))
    sheet.append(headers)
    for cell in sheet[HEADER_ROW]:
        cell.font, cell.alignment, cell.border = Font(bold=True), CENTRE, BOX
    for score in scores:
        points = {entry["item"]: entry["points"] for entry in score["items"]}
        row = [score["rank"], score["unit_name"], *(points.get(item["id"]) for item in items),
               score["total"], Grade(score["grade"]).label, score["veto_reason"] or ""]
        if level is AssessmentLevel.grid_chief:
            row.append("★" if score["star"] else "")
        elif level is AssessmentLevel.community:
            row += [score["bottom_streak"] or "", "预警" if score["flagged"] else ""]
        sheet.append(row)
    for line in sheet.iter_rows(min_row=HEADER_ROW + 1):
        for cell in line:
            cell.border = BOX
    widths = [6, 28] + [12] * len(items) + [10, 10, 30] + [12] * len(extra)
    for number, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = width
    sheet.row_dimensions[HEADER_ROW].height = 36
    sheet.freeze_panes = f"C{HEADER_ROW + 1}"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
