"""Reading landing files safely, before DuckDB sees them: which paths, which bytes, which rows.

- Paths: every file and folder under the landing root is either read or reported as skipped; links
  resolving outside the root are refused without being opened.
- Bytes: UTF-8 is read as is; a BOM, UTF-16 or another encoding is detected (charset-normalizer) and
  the text decoded into a UTF-8 copy; binary data is refused.
- Rows: a CSV's preamble (report titles, Microsoft's "Report Name" block), footers and total rows are
  dropped; JSON API envelopes are unwrapped into one row per line.
User data only ever appears in messages as a short, escaped excerpt.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

from mops.core.errors import RefusedFile
from mops.core.landing import LandingTable
from mops.core.landing_shapes import Envelope

SUPPORTED_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".parquet": "parquet"}
BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"), (codecs.BOM_UTF8, "utf-8-sig"))  # fmt: skip
HEADER_SEARCH_LINES = 30  # a report title block is never longer than this
DELIMITERS = (",", "\t", ";")
PREFERRED_TIE = "cp1252"


def excerpt(value: object, limit: int = 40) -> str:
    """A short, escaped rendering of user data for messages (control characters shown as escapes)."""
    text = str(value)
    short = text[:limit] + ("..." if len(text) > limit else "")
    return repr(short)


@dataclass(frozen=True)
class Entry:
    """One path under the landing root: a file to read, or a path skipped / refused with the reason."""

    path: Path
    skip: str | None = None  # why it is not read (reported as skipped)
    refuse: str | None = None  # why it is refused without being opened


def scan_landing(root: Path) -> list[Entry]:
    """Every path under the root, in sort order; folders starting with '.' or '_' are reported once."""
    root_real = root.resolve()
    entries: list[Entry] = []
    for directory, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(directory)
        for name in sorted(dirnames):
            path = here / name
            if name.startswith((".", "_")):
                entries.append(Entry(path, skip="folders starting with '.' or '_' are not read"))
            elif path.is_symlink():
                entries.append(
                    Entry(path, skip="a linked folder is not followed; move the files into the landing folder")
                )
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")) and not (here / d).is_symlink())
        for name in sorted(filenames):
            path = here / name
            if path.is_symlink():
                target = path.resolve()
                if not target.is_relative_to(root_real):
                    entries.append(Entry(path, refuse="is a link to a file outside the landing folder; not opened"))
                    continue
                if not target.is_file():
                    entries.append(Entry(path, refuse="is a link that does not point to a file"))
                    continue
            if name.startswith("."):
                entries.append(Entry(path, skip="hidden file"))
            elif path.suffix.lower() not in SUPPORTED_SUFFIXES:
                entries.append(Entry(path, skip="not a .csv, .json, .jsonl, .ndjson or .parquet file"))
            else:
                entries.append(Entry(path))
    return sorted(entries, key=lambda e: str(e.path))


def is_text(path: Path) -> bool:
    """Whether the file is read as text (CSV, JSON) rather than as Parquet."""
    return SUPPORTED_SUFFIXES[path.suffix.lower()] != "parquet"


@dataclass
class FileBytes:
    sha256: str
    size: int
    encoding: str | None  # None: UTF-8 (no copy needed)
    ends_with_newline: bool = True


def inspect_bytes(path: Path, text: bool) -> FileBytes:
    """sha256 in one pass, and for text files whether the bytes are UTF-8 (decoded incrementally)."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8, size, head, last = text, 0, b"", b""
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            if not head:
                head = block[:4]
            size += len(block)
            last = block[-1:]
            if utf8:
                try:
                    decoder.decode(block)
                    utf8 = b"\x00" not in block
                except UnicodeDecodeError:
                    utf8 = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    encoding = None
    if text and (not utf8 or head.startswith(codecs.BOM_UTF8)):
        encoding = next((enc for bom, enc in BOMS if head.startswith(bom)), None) or "detect"
    return FileBytes(digest.hexdigest(), size, encoding, last in (b"\n", b"\r", b""))


def decode(path: Path, rel: str, encoding: str) -> tuple[str, str]:
    """The file's text and the encoding it was read in; binary data or an unknown encoding is refused."""
    data = path.read_bytes()
    if encoding == "detect":
        from charset_normalizer import from_bytes

        matches = from_bytes(data)
        best = matches.best()
        if best is None:
            raise RefusedFile(rel, "is not text in any known encoding (binary data?); export it as CSV or JSON again")
        # single-byte encodings often tie; Windows-1252 (Excel on Western Windows) is the usual one of exports
        tied = [m.encoding for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)]
        encoding = PREFERRED_TIE if PREFERRED_TIE in tied else best.encoding
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        reason = exc.reason if isinstance(exc, UnicodeDecodeError) else exc
        raise RefusedFile(rel, f"cannot be decoded as {encoding} ({reason})") from exc
    text = text.lstrip("\ufeff")
    controls = sum(1 for ch in text[:100_000] if ch < " " and ch not in "\t\r\n")
    if controls > max(3, len(text[:100_000]) // 100):
        raise RefusedFile(rel, "looks like binary data, not text (control characters); export it as CSV or JSON again")
    return text, encoding


def temp_copy(text: str, suffix: str) -> Path:
    handle, name = tempfile.mkstemp(suffix=suffix)
    with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
        out.write(text)
    return Path(name)


# --- CSV framing -------------------------------------------------------------------------------------


@dataclass
class CsvFrame:
    """Where the table is inside a CSV: the lines to keep, and the download version its header matched."""

    lines: list[str] | None  # None: the file is clean, read it as is
    download: str | None = None
    notes: list[str] = field(default_factory=list)


def _cells(line: str) -> list[str]:
    best: list[str] = [line.strip()]
    for delimiter in DELIMITERS:
        try:
            cells = next(csv.reader([line], delimiter=delimiter))
        except (csv.Error, StopIteration):
            continue
        if len(cells) > len(best):
            best = cells
    return [c.strip().strip('"').strip() for c in best]


def _header_score(table: LandingTable, cells: list[str]) -> tuple[int, str | None]:
    """How many cells are known names of the API fields or of one download's headers."""
    known = {f.name for f in table.fields}
    api = sum(1 for c in cells if c in known)
    best = (api, None)
    for name, download in table.downloads.items():
        patterns = download.header_patterns().values()
        score = sum(1 for c in cells if any(p.match(c) for p in patterns))
        if score > best[0]:
            best = (score, name)
    return best


def frame_csv(table: LandingTable, text: str | None, path: Path, rel: str) -> CsvFrame:
    """Find the header line and the data rows of a CSV (None text: read the head from the file)."""
    if text is None:
        with path.open(encoding="utf-8", newline="") as handle:
            head = [line for _, line in zip(range(HEADER_SEARCH_LINES), handle, strict=False)]
    else:
        head = text.splitlines(keepends=True)[:HEADER_SEARCH_LINES]
    if not any(line.strip() for line in head):
        raise RefusedFile(rel, "the file is empty (no header row, no rows)")
    scored = [(_header_score(table, _cells(line)), i) for i, line in enumerate(head) if line.strip()]
    (score, download), index = max(scored, key=lambda s: (s[0][0], -s[1]))
    if score == 0:
        index, download = next(i for i, line in enumerate(head) if line.strip()), None
    if index == 0 and download is None and not _has_footer(path, text):
        return CsvFrame(None)
    lines = (text if text is not None else path.read_text(encoding="utf-8")).splitlines(keepends=True)
    totals = table.downloads[download].total_rows if download else ()
    body = [
        line
        for line in lines[index + 1 :]
        if line.strip() and not _is_footer(line) and not (totals and _first_cell(line).startswith(totals))
    ]
    return CsvFrame([lines[index], *body], download)


def _first_cell(line: str) -> str:
    return next((c for c in _cells(line) if c), "")


def _is_footer(line: str) -> bool:
    return line.lstrip().lstrip('"').startswith("©")


def _has_footer(path: Path, text: str | None) -> bool:
    if text is not None:
        tail = text[-4096:]
    else:
        with path.open("rb") as handle:
            handle.seek(max(0, path.stat().st_size - 4096))
            tail = handle.read().decode("utf-8", errors="replace")
    lines = [ln for ln in tail.splitlines() if ln.strip()]
    return bool(lines) and _is_footer(lines[-1])


def check_not_cut(lines: list[str], rel: str, row: int | None = None) -> None:
    """A CSV cut mid-row (an interrupted download) has a last line shorter than its header."""
    if len(lines) < 2 or lines[-1].endswith(("\n", "\r")):
        return
    row = row or len(lines) - 1
    header, last = _cells(lines[0]), lines[-1]
    delimiter = max(DELIMITERS, key=lines[0].count)
    try:
        cells = next(csv.reader([last], delimiter=delimiter))
    except (csv.Error, StopIteration):
        cells = []
    if len(cells) < len(header) or last.count('"') % 2:
        raise RefusedFile(
            rel,
            f"the file ends in the middle of row {row} (its last line has {len(cells)} of "
            f"{len(header)} fields): the export was cut off; download or export it again",
        )


def count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b"")) + 1


def tail_lines(path: Path, n: int = 2) -> list[str]:
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - 65536))
        chunk = handle.read().decode("utf-8", errors="replace")
    return chunk.splitlines(keepends=True)[-n:]


# --- JSON envelopes ----------------------------------------------------------------------------------


def _at(document: object, dotted: str) -> object:
    for part in dotted.split("."):
        if not isinstance(document, dict) or part not in document:
            return None
        document = document[part]
    return document


def _envelope_of(table: LandingTable, document: object) -> Envelope | None:
    if isinstance(document, dict):
        for envelope in table.shapes.envelopes:
            if isinstance(_at(document, envelope.rows), list):
                return envelope
    return None


def _rows_of(table: LandingTable, document: object, rel: str) -> list:
    """The rows of one JSON value: an envelope's rows (with its context), a list of either, or a row."""
    if isinstance(document, list):
        return [row for item in document for row in _rows_of(table, item, rel)]
    envelope = _envelope_of(table, document)
    if envelope is None:
        return [document]
    rows = _at(document, envelope.rows)
    context = {name: _at(document, path) for name, path in envelope.context.items()}
    for row in rows:
        if isinstance(row, dict):
            for name, value in context.items():
                nested = any(isinstance(row.get(p), dict) and name in row[p] for p in table.shapes.unnest)
                if value is not None and name not in row and not nested:
                    row[name] = value
    return rows


def unwrap_json(table: LandingTable, text: str | None, path: Path, rel: str) -> Path | None:
    """A JSON document (array, envelope, pretty-printed object) as JSON Lines; None when already JSON Lines."""
    if text is None:
        with path.open(encoding="utf-8") as handle:
            first = handle.readline()
    else:
        first = text.split("\n", 1)[0]
    stripped = first.lstrip()
    if not stripped.strip() and (text if text is not None else path.read_text(encoding="utf-8")).strip() == "":
        raise RefusedFile(rel, "the file is empty (no rows)")
    if stripped.startswith("{"):
        try:
            head = json.loads(first)
        except ValueError:
            head = None  # a pretty-printed document: parsed whole below
        if head is not None and _envelope_of(table, head) is None:
            return None  # plain JSON Lines: DuckDB reads it
    body = text if text is not None else path.read_text(encoding="utf-8")
    try:
        documents = [json.loads(body)]
    except ValueError:
        try:
            documents = [json.loads(line) for line in body.splitlines() if line.strip()]
        except ValueError as exc:
            raise RefusedFile(rel, f"cannot read as JSON: not valid JSON or JSON Lines ({str(exc)[:80]})") from exc
    rows = [row for document in documents for row in _rows_of(table, document, rel)]
    if not rows:
        raise RefusedFile(rel, "the export holds no rows (an empty API response?)")
    if not all(isinstance(row, dict) for row in rows):
        raise RefusedFile(
            rel, "rows must be JSON objects; found " + excerpt(next(r for r in rows if not isinstance(r, dict)))
        )
    out = io.StringIO()
    for row in rows:
        out.write(json.dumps(row) + "\n")
    return temp_copy(out.getvalue(), ".jsonl")


def file_name_value(pattern: str, name: str) -> str | None:
    match = re.search(pattern, name)
    return match.group(1) if match else None


def is_known_extra(table: LandingTable, name: str) -> bool:
    return any(fnmatch(name, pattern) for pattern in table.shapes.known_extras)
