"""Learner-controlled text made safe for the instructor's tools: the one place that does it.

A learner chooses more of what the instructor reads than it seems: exception messages,
the names and reprs of their values, file and folder names, whatever their code writes
to the kernel's stderr. Written out as is, that text can drive the instructor's terminal
(ANSI escapes clear the screen or recolour lines), forge lines of the grader's own output
(a newline, then "graded (16 / 16)"), hide text behind bidirectional overrides, or run as
a formula when ``grades.csv`` is opened in a spreadsheet. Every output that carries such
text passes it through one of these functions:

- ``one_line`` for single-line fields: CLI tables and lines, log entries, report cells;
- ``quoted_block`` for multi-line text kept in a log (nbgrader's and the kernel's output);
- ``spreadsheet_cell`` for every cell of a CSV export.

Characters are made visible, not dropped, so the instructor still sees what the learner
did. HTML is Jinja's job: ``grader.report`` renders with autoescape on.
"""

from __future__ import annotations

import re

#: C0 and C1 control characters (newline, tab, ESC, DEL…), Unicode line and paragraph
#: separators, and the bidirectional marks and overrides that reorder what a line shows.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
LINE_CHARS = 2000
ELLIPSIS = "…"
BLOCK_MARGIN = "| "
#: What makes a spreadsheet read a cell as a formula (OWASP "CSV injection"). OWASP also
#: lists a leading tab or carriage return: ``one_line`` has already shown those as ``\t``
#: and ``\r``, so they can no longer lead a cell.
FORMULA_PREFIXES = ("=", "+", "-", "@")


def _visible(match: re.Match[str]) -> str:
    """A control character as its Python escape: newline → ``\\n``, ESC → ``\\x1b``, U+202E → ``\\u202e``."""
    return match.group().encode("unicode_escape").decode("ascii")


def one_line(text: object, limit: int | None = LINE_CHARS) -> str:
    """``text`` as one printable line: control characters shown as escapes, cut to ``limit`` characters.

    The result cannot move a terminal's cursor, change its colours or start a new line,
    so whatever a learner wrote stays inside the field it was put in. Applying it twice
    changes nothing, so a caller never needs to know whether text was already made safe.
    """
    line = CONTROL.sub(_visible, str(text))
    if limit is None or len(line) <= limit:
        return line
    return line[: limit - len(ELLIPSIS)] + ELLIPSIS


def quoted_block(text: str) -> str:
    """Multi-line ``text`` for a log file: each line behind a ``| `` margin, control characters shown.

    The margin is what keeps the grader's own lines (``status: graded …``) apart from
    anything a learner's code printed: no quoted line can start where the grader's do.
    Lines are not cut, so nbgrader's diagnostics stay whole.
    """
    return "\n".join(BLOCK_MARGIN + one_line(line, limit=None) for line in text.split("\n"))


def spreadsheet_cell(value: object) -> object:
    """A CSV cell that a spreadsheet shows as text: one line, and a leading formula character quoted.

    OWASP's remedy: a ``'`` before a leading ``=``, ``+``, ``-`` or ``@`` makes Excel,
    LibreOffice and Google Sheets take the cell as text. Numbers and empty cells pass
    through unchanged, so scores stay numbers.
    """
    if not isinstance(value, str):
        return value
    cell = one_line(value)
    return "'" + cell if cell.startswith(FORMULA_PREFIXES) else cell
