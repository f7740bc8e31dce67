"""CSV schedules: one post per row, lists separated by ``;``; a broken quote, a column named
twice or a row wider than its header is a message, never a silent guess."""

from __future__ import annotations

import csv
import io
from typing import Any

from publisher.core.models import POST_ID_RE
from publisher.core.schedule.base import POST_FIELDS, ScheduleProblem, _Record, _Value
from publisher.i18n import msg


def _unterminated_quote(text: str, dialect: Any) -> int | None:
    """The line where a quoted cell opens and never closes, read as :mod:`csv` reads it.

    A quote opens a quoted cell only at the start of a cell; inside it a doubled quote (or the
    escape character) is a quote, and a single one closes the cell.
    """
    quote = getattr(dialect, "quotechar", '"') or '"'
    delimiter = getattr(dialect, "delimiter", ",")
    escape = getattr(dialect, "escapechar", None)
    skip_space = bool(getattr(dialect, "skipinitialspace", False))
    line, opened_at = 1, 0
    at_start, inside, i, n = True, False, 0, len(text)
    while i < n:
        c = text[i]
        if inside:
            if escape and c == escape:
                i += 1
            elif c == quote:
                if i + 1 < n and text[i + 1] == quote and getattr(dialect, "doublequote", True):
                    i += 1
                else:
                    inside = False
        elif c == quote and at_start:
            inside, opened_at = True, line
        elif c == delimiter or c in "\r\n":
            at_start = True
            if c == "\n":
                line += 1
            i += 1
            continue
        elif not (skip_space and c == " " and at_start):
            at_start = False
        if c == "\n":
            line += 1
        if inside:
            at_start = False
        i += 1
    return opened_at if inside else None


def _records_from_csv(name: str, text: str) -> tuple[list[_Record], list[ScheduleProblem]]:
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    opened = _unterminated_quote(text, dialect)
    if opened is not None:  # csv.reader would read the rest of the file as one cell, silently
        return [], [
            ScheduleProblem(name, opened, None, None, msg("sched.csv_unterminated_quote", line=opened))
        ]
    reader = csv.reader(io.StringIO(text), dialect)

    def syntax(exc: csv.Error) -> list[ScheduleProblem]:
        return [ScheduleProblem(name, reader.line_num or 1, None, None, msg("sched.csv_syntax", error=exc))]

    try:
        first = next(reader, None)
    except csv.Error as exc:
        return [], syntax(exc)
    if first is None:
        return [], [ScheduleProblem(name, 1, None, None, msg("sched.no_posts"))]
    header = [h.strip().lower() for h in first]
    while header and not header[-1]:  # Excel pads rows with empty columns
        header.pop()
    unknown = [h for h in header if h and h not in POST_FIELDS]
    if unknown or not {"id", "at", "title", "text"} <= set(header):
        return [], [
            ScheduleProblem(name, 1, None, None, msg("sched.csv_header", unknown=", ".join(unknown) or "—"))
        ]
    problems: list[ScheduleProblem] = []
    for i, col in enumerate(header):
        if col and col in header[:i]:
            problems.append(ScheduleProblem(name, 1, None, col, msg("sched.csv_duplicate_column", name=col)))
    if problems:
        return [], problems
    records: list[_Record] = []
    while True:
        start = reader.line_num + 1  # csv.reader counts physical lines; a quoted cell may span several
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            return [], problems + syntax(exc)
        filled = [i for i, cell in enumerate(row) if cell.strip()]
        if not filled:
            continue
        id_at = header.index("id")
        row_id = row[id_at].strip() if id_at < len(row) and POST_ID_RE.match(row[id_at].strip()) else None
        if filled[-1] >= len(header):
            problems.append(
                ScheduleProblem(
                    name,
                    start,
                    row_id,
                    None,
                    msg("sched.csv_extra_cells", cells=filled[-1] + 1, columns=len(header)),
                )
            )
        for i in filled:
            if i < len(header) and not header[i]:
                problems.append(
                    ScheduleProblem(name, start, row_id, None, msg("sched.csv_unnamed_cell", index=i + 1))
                )
        rec: dict[str, tuple[int, Any]] = {}
        for col, cell in zip(header, row, strict=False):
            if not col or cell.strip() == "":
                continue
            if col in ("images", "targets"):
                rec[col] = (
                    start,
                    _Value([_Value(p.strip(), start) for p in cell.split(";") if p.strip()], start),
                )
            else:
                rec[col] = (start, _Value(cell, start))
        records.append((start, rec, []))
    if not records and not problems:
        return [], [ScheduleProblem(name, 1, None, None, msg("sched.no_posts"))]
    return records, problems
