"""The report's tables as files: CSV (one table, `;`, UTF-8 with BOM for Excel) and XLSX."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from dispatcher.analytics.report import Table

_SHEET_UNSAFE = re.compile(r"[\[\]:*?/\\]")


def csv_bytes(table: Table) -> bytes:
    """One table with its header row; empty cells for missing figures."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(table.columns)
    writer.writerows(["" if cell is None else cell for cell in row] for row in table.rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _sheet_title(title: str, used: set[str]) -> str:
    base = _SHEET_UNSAFE.sub(" ", title)[:31].strip()
    name, n = base, 2
    while name in used:
        suffix = f" {n}"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name)
    return name


def xlsx_bytes(tables: Sequence[Table], heading: str) -> bytes:
    """A workbook with a sheet per table: a bold header row, numbers kept as numbers."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    workbook.properties.title = heading
    used: set[str] = set()
    for table in tables:
        sheet = workbook.create_sheet(_sheet_title(table.title, used))
        sheet.append(list(table.columns))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(list(row))
        sheet.freeze_panes = "A2"
        for index, column in enumerate(table.columns, 1):
            longest = max([len(str(column))] + [len(str(r[index - 1] or "")) for r in table.rows])
            sheet.column_dimensions[get_column_letter(index)].width = min(60, longest + 2)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
