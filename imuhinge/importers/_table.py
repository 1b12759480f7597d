"""Reading the CSV tables of third-party exports, refusing bad ones in one sentence.

Every function here raises ``RecordingError`` naming the file (and the line where there
is one) for anything malformed: a missing file, an empty table, a row that does not
parse, a missing column, text or nothing where a number belongs.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import RecordingError

HEAD_BYTES = 4096
"""The header line of every supported export lies within this many bytes of the start."""


def read_bytes(path: Path) -> bytes:
    """The file's bytes, refusing a missing, unreadable, empty or binary file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise RecordingError(str(path), "no such file") from None
    except IsADirectoryError:
        raise RecordingError(str(path), "is a folder, not an export file") from None
    except OSError as exc:
        raise RecordingError(str(path), f"cannot be read ({exc.strerror})") from None
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if not raw or raw.isspace():
        raise RecordingError(str(path), "the file is empty")
    if b"\x00" in raw[:HEAD_BYTES]:
        raise RecordingError(str(path), "this is not a text file (it contains binary data)")
    return raw


def first_line(path: Path) -> str:
    """The first non-blank line of a text file, or '' when it cannot be read as text."""
    try:
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError:
        return ""
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    for line in head.decode("utf-8", errors="replace").splitlines():
        if line.strip():
            return line.strip()
    return ""


def read_table(path: Path, sep: str = ",") -> pd.DataFrame:
    """The file as a table of stripped text cells; blank rows dropped, index = file line.

    ``numeric_block`` and ``integer_column`` turn the wanted columns into numbers. The
    index of each row is its 1-based line in the file, for messages.
    """
    raw = read_bytes(path)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RecordingError(str(path), "this is not UTF-8 text", line) from None
    try:
        frame = pd.read_csv(
            io.BytesIO(raw), sep=sep, skip_blank_lines=False, engine="c",
            dtype=str, keep_default_na=False,
        )
    except pd.errors.EmptyDataError:
        raise RecordingError(str(path), "the file is empty") from None
    except pd.errors.ParserError as exc:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if found:
            expected, line, saw = (int(g) for g in found.groups())
            raise RecordingError(
                str(path), f"this row has {saw} fields where the header has {expected}", line
            ) from None
        raise RecordingError(str(path), f"the table cannot be parsed ({_short(exc)})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.index = frame.index + 2
    stripped = frame.fillna("").apply(lambda column: column.str.strip())
    blank = (stripped == "").all(axis=1)
    frame = stripped[~blank.to_numpy()]
    if frame.empty:
        raise RecordingError(str(path), "the file has a header but no samples", 1)
    return frame


def require_columns(frame: pd.DataFrame, names: list[str], path: Path, what: str) -> None:
    """Refuse a table that lacks any of ``names``; ``what`` says which export it should be."""
    missing = [name for name in names if name not in frame.columns]
    if missing:
        listed = ", ".join(f"'{name}'" for name in missing)
        raise RecordingError(
            str(path),
            f"this {what} lacks column{'s' if len(missing) > 1 else ''} {listed}",
            1,
        )


def numeric_block(
    frame: pd.DataFrame, names: list[str], path: Path, decimal: str = "."
) -> np.ndarray:
    """The columns ``names`` as one float array (rows × columns); refuse text and gaps.

    ``decimal`` is the file's decimal mark (phyphox may write a comma).
    """
    block = np.empty((len(frame), len(names)), dtype=np.float64)
    for j, name in enumerate(names):
        text = frame[name]
        if decimal != ".":
            text = text.str.replace(decimal, ".", regex=False)
        values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
        bad = ~np.isfinite(values)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            shown = str(frame[name].iloc[row])[:40]
            problem = (
                f"'{name}' is empty" if not shown else f"'{name}' holds '{shown}', which is not a number"
            )
            raise RecordingError(str(path), problem, int(frame.index[row]))
        block[:, j] = values
    return block


def integer_column(frame: pd.DataFrame, name: str, path: Path) -> np.ndarray:
    """A column of whole numbers (epoch timestamps) as int64, exact beyond 2**53."""
    text = frame[name]
    good = text.str.fullmatch(r"-?\d+")
    if not good.all():
        row = int(np.flatnonzero(~good.to_numpy())[0])
        shown = str(text.iloc[row])[:40]
        problem = f"'{name}' is empty" if not shown else f"'{name}' holds '{shown}', not a whole number"
        raise RecordingError(str(path), problem, int(frame.index[row]))
    return text.astype(np.int64).to_numpy()


def _short(exc: Exception) -> str:
    return " ".join(str(exc).split())[:200]
