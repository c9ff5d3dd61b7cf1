"""Reading report files: encoding, separator and header sniffing, header aliases, and the SQL
fragments that parse timestamps and status values inside DuckDB.

Python only ever looks at a small sample of a file (the first megabyte); every row is read,
validated and converted by DuckDB.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dashboard.errors import InputRefused

SAMPLE_BYTES = 1 << 20
CHUNK_CHARS = 1 << 20
SAMPLE_ROWS = 5000

USER_FIELDS = (
    "email",
    "username",
    "user_id",
    "first_name",
    "last_name",
    "user_type",
    "enabled",
    "created_at",
    "last_sign_in_at",
    "sign_in_count",
    "groups",
    "account_expires",
)
ACTIVITY_FIELDS = ("email", "username", "user_id", "activity_at")
ALL_FIELDS = tuple(dict.fromkeys(USER_FIELDS + ACTIVITY_FIELDS))

# Aliases in order of preference: when two headers of one file match the same field, the one
# matching the earlier alias wins (so "User ID" beats a bare "ID").
_USER_ALIASES: dict[str, tuple[str, ...]] = {
    "email": ("email", "emailaddress", "e-mail", "useremail", "workemail"),
    "username": ("username", "login", "loginname"),
    "user_id": ("user_id", "userid", "id"),
    "first_name": ("first_name", "firstname", "givenname"),
    "last_name": ("last_name", "lastname", "surname", "familyname"),
    "user_type": ("user_type", "usertype", "type", "role"),
    "enabled": ("enabled", "loginenabled", "status", "accountstatus"),
    "created_at": ("created_at", "datecreated", "created", "createddate", "creationdate"),
    "last_sign_in_at": (
        "last_sign_in_at",
        "lastlogin",
        "lastsignin",
        "lastlogindate",
        "lastsignindate",
        "lastaccessed",
    ),
    "sign_in_count": ("sign_in_count", "signincount", "logins", "numberoflogins", "logincount"),
    "groups": ("groups", "group", "groupnames"),
    "account_expires": ("account_expires", "accountexpires", "expires", "expirydate"),
}
_ACTIVITY_ALIASES: dict[str, tuple[str, ...]] = {
    "email": _USER_ALIASES["email"],
    "username": _USER_ALIASES["username"],
    "user_id": _USER_ALIASES["user_id"],
    "activity_at": (
        "activity_at",
        "logindate",
        "activitydate",
        "lastaccessed",
        "date",
        "timestamp",
        "datetime",
        "signindate",
        "accessed",
        "time",
    ),
}

STATUS_TRUE = ("true", "yes", "1", "enabled", "active")
STATUS_FALSE = ("false", "no", "0", "disabled", "inactive")

MAP_HINT = "--map 'HEADER=field' on the command line, or the column mapping on the Data page"


def header_key(header: str) -> str:
    """Return `header` lower-cased without spaces, underscores and punctuation (for matching)."""
    return "".join(ch for ch in header.casefold() if ch.isalnum())


def fields_for(kind: str) -> tuple[str, ...]:
    """Return the canonical fields a file of `kind` ('users' or 'activity') can hold."""
    return USER_FIELDS if kind == "users" else ACTIVITY_FIELDS


def check_mapping(mapping: Mapping[str, str], headers_by_file: Mapping[str, list[str]]) -> None:
    """Refuse a mapping naming an unknown field, or a header that no loaded file has."""
    known = {header_key(h) for headers in headers_by_file.values() for h in headers}
    files = ", ".join(headers_by_file)
    for header, field in mapping.items():
        if field not in ALL_FIELDS:
            raise InputRefused(
                "--map",
                f"{header}={field}: {field!r} is not a field this product knows",
                hint="Map to one of: " + ", ".join(ALL_FIELDS),
            )
        if header_key(header) not in known:
            raise InputRefused(
                "--map",
                f"{header}={field}: no column {header!r} in {files}",
                hint="Write the header as the file shows it (case and spaces do not matter)",
            )


def resolve_columns(
    file: str, headers: list[str], kind: str, mapping: Mapping[str, str] | None = None
) -> dict[str, int]:
    """Return {canonical field: column index} for a file's headers, using the mapping first."""
    aliases = _USER_ALIASES if kind == "users" else _ACTIVITY_ALIASES
    allowed = fields_for(kind)
    keys = [header_key(h) for h in headers]
    out: dict[str, int] = {}
    mapped: set[int] = set()
    for header, field in (mapping or {}).items():
        if field not in allowed:
            continue
        hits = [i for i, k in enumerate(keys) if k == header_key(header)]
        if not hits:
            continue
        if len(hits) > 1:
            raise InputRefused(
                file,
                f"--map names {header!r}, which appears {len(hits)} times in the header",
                row=1,
                hint="Rename one of the columns, then load again",
            )
        if field in out:
            raise InputRefused(
                file,
                f"two columns are mapped to {field!r}: {headers[out[field]]!r} and {header!r}",
                row=1,
                hint="Map only one column to each field",
            )
        out[field] = hits[0]
        mapped.add(hits[0])
    for field, names in aliases.items():
        if field in out:
            continue
        for alias in names:
            hits = [i for i, k in enumerate(keys) if k == header_key(alias) and i not in mapped]
            if len(hits) > 1:
                raise InputRefused(
                    file,
                    f"the header has {len(hits)} columns that read as {field!r} "
                    f"({', '.join(repr(headers[i]) for i in hits)})",
                    row=1,
                    hint=f"Map the right one explicitly with {MAP_HINT}",
                )
            if hits and hits[0] not in out.values():
                out[field] = hits[0]
                break
    return out


def unused_alias_columns(headers: list[str], kind: str, columns: Mapping[str, int]) -> list[str]:
    """Return a note for each column that reads as a field another column already gives.

    For example "Email Address" beside "Email": the earlier alias wins, and the user should know
    which column was read.
    """
    aliases = _USER_ALIASES if kind == "users" else _ACTIVITY_ALIASES
    used = set(columns.values())
    notes = []
    for i, header in enumerate(headers):
        if i in used:
            continue
        for field, names in aliases.items():
            if field in columns and header_key(header) in {header_key(a) for a in names}:
                notes.append(
                    f"column {header!r} also reads as {field!r}; {headers[columns[field]]!r} "
                    f"was used (choose with --map '{header}={field}' or the column mapping)"
                )
                break
    return notes


# -- encoding, separator, header ----------------------------------------------------------------


@dataclass(frozen=True)
class Sniffed:
    """What the first megabyte of a report says about the whole file."""

    encoding: str  # 'utf-8', 'utf-8-sig', 'utf-16' or 'cp1252'
    delimiter: str
    headers: list[str]
    ascii_sample: bool  # the sample held no byte above 127 (so a later odd byte may be cp1252)
    rows: list[list[str]]  # the records of the sample below the header (the last one complete)

    @property
    def needs_transcoding(self) -> bool:
        """Return True when DuckDB cannot read the file as it is (not UTF-8)."""
        return self.encoding not in ("utf-8", "utf-8-sig")


_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


_QUOTE_OR_LINE = re.compile(rb'["\n]')


def _row_at(raw: bytes, pos: int) -> int:
    """Return the spreadsheet row (header = 1) holding byte `pos` of a file's first bytes.

    A line break inside a quoted cell stays in its row; every other one starts a row (a blank
    line too). A doubled quote inside a quoted cell toggles twice, so it changes nothing.
    """
    quoted, row = False, 1
    for hit in _QUOTE_OR_LINE.finditer(raw, 0, pos):
        if hit.group() == b'"':
            quoted = not quoted
        elif not quoted:
            row += 1
    return row


def _decode_sample(file: str, raw: bytes) -> tuple[str, str]:
    if raw.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif raw.startswith(b"PK\x03\x04"):
        raise InputRefused(
            file,
            "this is an Excel workbook (XLSX) or a ZIP archive, not a CSV report",
            hint="Open it in Excel and save it as 'CSV UTF-8', or export the report as CSV",
        )
    elif b"\x00" not in raw[0::2] and raw[1::2].count(0) > len(raw) // 4:
        encoding = "utf-16-le"  # UTF-16 without a byte-order mark: every other byte is NUL
    elif b"\x00" not in raw[1::2] and raw[0::2].count(0) > len(raw) // 4:
        encoding = "utf-16-be"
    elif b"\x00" in raw:
        before = raw[: raw.index(b"\x00")]
        raise InputRefused(
            file,
            "this is not a text report (it contains binary data: a NUL byte)",
            row=_row_at(raw, len(before)) if before.isascii() else 1,
            hint="Export the report from LearnUpon as CSV and load that file",
        )
    else:
        encoding = "utf-8"
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        text = decoder.decode(raw, final=len(raw) < SAMPLE_BYTES)
    except UnicodeDecodeError as exc:
        bad_row = _row_at(raw, exc.start)
        if encoding == "utf-8" and re.search(rb"[\xc2-\xf4][\x80-\xbf]", raw[: exc.start]):
            raise InputRefused(
                file,
                "the file mixes encodings: UTF-8 text above, another encoding in this row",
                row=bad_row,
                hint="Save it again as CSV UTF-8 from your spreadsheet program",
            ) from None
        if encoding != "utf-8":
            raise InputRefused(
                file,
                f"the file starts like {encoding.upper()} text but is not valid {encoding.upper()}",
                row=1,
                hint="Save it again as CSV UTF-8 from your spreadsheet program",
            ) from None
        encoding = "cp1252"
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError as bad:
            raise InputRefused(
                file,
                "this row is neither UTF-8 nor Windows-1252 text (the file's encoding is unknown)",
                row=_row_at(raw, bad.start),
                hint="Export the report from LearnUpon as CSV and load that file",
            ) from None
    controls = len(_CONTROL_CHARS.findall(text))
    if "\x00" in text or controls > max(2, len(text) // 1000):
        raise InputRefused(
            file,
            "this is not a text report (it contains binary data)",
            row=1,
            hint="Export the report from LearnUpon as CSV and load that file",
        )
    return encoding, text


def _pick_delimiter(text: str) -> str:
    first_line = text.split("\n", 1)[0]
    best, best_score = ",", (-1, -1)
    for delim in (",", ";", "\t", "|"):
        if delim not in first_line:
            continue
        rows = []
        reader = csv.reader(io.StringIO(text), delimiter=delim, quotechar='"', doublequote=True)
        try:
            for row in reader:
                rows.append(len(row))
                if len(rows) >= 50:
                    break
        except csv.Error:
            continue
        if len(text) >= SAMPLE_BYTES - 1 and len(rows) > 2:
            rows = rows[:-1]  # the sample may cut the last record short
        consistent = sum(1 for n in rows[1:] if n == rows[0])
        score = (consistent, rows[0] if rows else 0)
        if score > best_score:
            best, best_score = delim, score
    return best


def sniff(path: Path, file: str) -> Sniffed:
    """Return the encoding, separator and header of the report at `path`, refusing non-reports."""
    with open(path, "rb") as fh:
        raw = fh.read(SAMPLE_BYTES)
    if not raw.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise InputRefused(
            file,
            "the file is empty",
            row=1,
            hint="Export the report again from LearnUpon; it should start with a header row",
        )
    encoding, text = _decode_sample(file, raw)
    text = text.lstrip("\ufeff")
    delimiter = _pick_delimiter(text)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar='"', doublequote=True)
    try:
        headers = [h.strip() for h in next(reader)]
    except (csv.Error, StopIteration):
        raise InputRefused(
            file, "the header row cannot be read", row=1, hint="Check the file is a CSV export"
        ) from None
    rows: list[list[str]] = []
    try:
        for record in reader:
            rows.append(record)
            if len(rows) >= SAMPLE_ROWS:
                break
    except csv.Error:
        pass  # DuckDB reads the whole file and names the bad row
    if len(raw) >= SAMPLE_BYTES and rows and len(rows) < SAMPLE_ROWS:
        rows.pop()  # the sample may cut the last record short
    return Sniffed(encoding, delimiter, headers, ascii_sample=raw.isascii(), rows=rows)


def transcode_to_utf8(src: Path, encoding: str, dest: Path) -> None:
    """Write `src` (in `encoding`) to `dest` as UTF-8, streaming in chunks."""
    with (
        open(src, encoding=encoding, newline="", errors="strict") as fin,
        open(dest, "w", encoding="utf-8", newline="") as fout,
    ):
        while chunk := fin.read(CHUNK_CHARS):
            fout.write(chunk.lstrip("\ufeff") if fout.tell() == 0 else chunk)


def trim_sql(column: str) -> str:
    """Return SQL giving `column` (VARCHAR) trimmed of spaces, as DuckDB's trim() does.

    trim() removes the Unicode space separators and costs ~200 ns a value; a plain ASCII value
    can only have ' ' to remove, and checking that is several times cheaper (strlen counts
    bytes, length characters: they differ exactly when the value is not plain ASCII).
    """
    return (
        f"CASE WHEN starts_with({column}, ' ') OR ends_with({column}, ' ') "
        f"OR strlen({column}) <> length({column}) THEN trim({column}) ELSE {column} END"
    )


def sql_string(value: str) -> str:
    """Return `value` as a SQL string literal (for table-function arguments only)."""
    return "'" + value.replace("'", "''") + "'"


def read_csv_sql(
    path: Path,
    delimiter: str,
    ncols: int,
    *,
    stamps: Sequence[int] = (),
    fmt: str | None = None,
    estimate: bool = False,
) -> str:
    """Return a `read_csv(...)` call reading the columns of the file as c0..cN.

    Every column is VARCHAR except `stamps`, read as TIMESTAMP in the one strptime format `fmt`
    (a value in any other spelling fails the read). With `estimate`, DuckDB's sniffer samples
    the file to estimate its row count; without it the planner takes any file for a few dozen
    rows, and builds a join's hash table on millions of rows instead of on the accounts. The
    dialect, columns, header and skipped lines stay fixed either way.
    """
    columns = ", ".join(
        f"'c{i}': '{'TIMESTAMP' if i in stamps else 'VARCHAR'}'" for i in range(ncols)
    )
    typed = f", timestampformat={sql_string(fmt)}" if stamps and fmt else ""
    detect = "true, skip=0" if estimate else "false"
    return (
        f"read_csv({sql_string(str(path))}, delim={sql_string(delimiter)}, quote='\"', "
        f"escape='\"', header=true, auto_detect={detect}, strict_mode=true, null_padding=false, "
        f"encoding='utf-8'{typed}, columns={{{columns}}})"
    )


# -- timestamps ---------------------------------------------------------------------------------

# A trailing UTC offset after a time of day (never the '-01' of a bare date).
_OFFSET_RE = r"\d:\d\d(?::\d\d(?:\.\d+)?)?\s*([+-])(\d\d):?(\d\d)?$"

SLASH_FORMATS = {
    "dmy": ["%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d/%m/%YT%H:%M:%S"],
    "mdy": ["%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y", "%m/%d/%YT%H:%M:%S"],
}
# Dates outside these years are placeholders or typing errors (0001-01-01, 9999-12-31).
EARLIEST, LATEST = "1970-01-01", "2100-01-01"


# Spellings DuckDB's CSV reader can parse itself, fast, with one strptime format (offsets other
# than Z need the slower SQL conversion, so they are not among them).
_PLAIN_FORMATS = (
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"), "%Y-%m-%dT%H:%M:%SZ"),
    (re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"), "%Y-%m-%d %H:%M:%S"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"), "%Y-%m-%dT%H:%M:%S"),
    (re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d"), "%Y-%m-%d %H:%M"),
    (re.compile(r"\d{4}-\d\d-\d\d"), "%Y-%m-%d"),
)


def plain_format(values: Sequence[str], *, timezone: str | None) -> str | None:
    """Return the one strptime format every non-empty sample value is written in, else None.

    With a `timezone`, only UTC values (ending in Z) qualify: the others need converting.
    """
    seen = [v.strip() for v in values if v.strip()]
    if not seen:
        return None
    for pattern, fmt in _PLAIN_FORMATS:
        if timezone is not None and not fmt.endswith("Z"):
            continue
        if all(pattern.fullmatch(v) for v in seen):
            return fmt
    return None


def timestamp_stats_sql(t: str, name: str) -> str:
    """Return aggregate expressions (aliased `name_*`) that tell how column `t` writes dates.

    `t` is a trimmed VARCHAR expression, empty string when the cell is empty.
    """
    slash = f"contains({t}, '/')"
    # CASE, not AND: FILTER conditions do not short-circuit, and a failing cast is costly.
    first = f"(CASE WHEN {slash} THEN try_cast(split_part({t}, '/', 1) AS INTEGER) END)"
    second = f"(CASE WHEN {slash} THEN try_cast(split_part({t}, '/', 2) AS INTEGER) END)"
    return ", ".join(
        [
            f"count(*) FILTER ({slash} AND {first} > 12 AND {second} <= 12) AS {name}_dmy",
            f"min({t}) FILTER ({slash} AND {first} > 12 AND {second} <= 12) AS {name}_dmy_ex",
            f"count(*) FILTER ({slash} AND {second} > 12 AND {first} <= 12) AS {name}_mdy",
            f"min({t}) FILTER ({slash} AND {second} > 12 AND {first} <= 12) AS {name}_mdy_ex",
            f"min({t}) FILTER ({slash} AND {first} <= 12 AND {second} <= 12 "
            f"AND {first} <> {second}) AS {name}_ambiguous_ex",
            f"count(*) FILTER ({slash}) AS {name}_slashes",
        ]
    )


def sample_timestamp_stats(values: Sequence[str], name: str) -> dict[str, object]:
    """Return the statistics of `timestamp_stats_sql` for a sample of values, computed here."""
    out: dict[str, object] = {f"{name}_{k}": None for k in ("dmy_ex", "mdy_ex", "ambiguous_ex")} | {
        f"{name}_{k}": 0 for k in ("dmy", "mdy", "slashes")
    }

    def keep_min(key: str, value: str) -> None:
        if out[key] is None or value < out[key]:
            out[key] = value

    for raw in values:
        value = raw.strip()
        if "/" not in value:
            continue
        out[f"{name}_slashes"] += 1
        parts = value.split("/")
        try:
            first, second = int(parts[0]), int(parts[1])
        except ValueError:
            continue
        if first > 12 and second <= 12:
            out[f"{name}_dmy"] += 1
            keep_min(f"{name}_dmy_ex", value)
        elif second > 12 and first <= 12:
            out[f"{name}_mdy"] += 1
            keep_min(f"{name}_mdy_ex", value)
        elif first <= 12 and second <= 12 and first != second:
            keep_min(f"{name}_ambiguous_ex", value)
    return out


def timestamp_sql(t: str, order: str | None, *, timezone: str | None) -> str:
    """Return a SQL expression turning trimmed text `t` into a naive-UTC TIMESTAMP (NULL if bad).

    `order` ('dmy' or 'mdy') decides D/M/YYYY values (None: such values are bad); a value with
    a UTC offset is moved to UTC; `timezone` is the zone of values with neither offset nor Z.
    """
    if order is None:
        slash = "NULL::TIMESTAMP"
    else:
        formats = "[" + ", ".join(sql_string(f) for f in SLASH_FORMATS[order]) + "]"
        slash = f"try_strptime({t}, {formats})"
    # Cheap tests first: only values with a sign after the date pay for the regular expression.
    tail = f"substr({t}, 11)"
    has_offset = f"(contains({tail}, '+') OR contains({tail}, '-'))"
    parts = f"regexp_extract({t}, '{_OFFSET_RE}', ['s', 'h', 'm'])"
    minutes = (
        f"(CASE {parts}.s WHEN '-' THEN -1 ELSE 1 END) * "
        f"(try_cast({parts}.h AS INTEGER) * 60 + coalesce(try_cast(nullif({parts}.m, '') "
        "AS INTEGER), 0))"
    )
    iso = f"try_cast({t} AS TIMESTAMP)"
    if timezone is not None:
        zone = sql_string(timezone)
        local = f"timezone('UTC', timezone({zone}, {iso}))"
        iso = f"CASE WHEN ends_with({t}, 'Z') THEN {iso} ELSE {local} END"
        slash = f"timezone('UTC', timezone({zone}, {slash}))"
    value = (
        f"CASE WHEN contains({t}, '/') THEN {slash} "
        f"WHEN {has_offset} THEN try_cast({t} AS TIMESTAMP) - to_minutes({minutes}) "
        f"ELSE {iso} END"
    )
    return value


def plausible_sql(column: str) -> str:
    """Return `column` (a parsed TIMESTAMP) when its year is plausible, else NULL.

    Apply it to a computed column, not to `timestamp_sql` itself, so the parse runs once.
    """
    return (
        f"CASE WHEN {column} >= TIMESTAMP '{EARLIEST}' AND {column} < TIMESTAMP '{LATEST}' "
        f"THEN {column} END"
    )


def status_sql(t: str) -> str:
    """Return a SQL expression turning trimmed status text `t` into BOOLEAN (NULL if unknown)."""
    yes = ", ".join(sql_string(s) for s in STATUS_TRUE)
    no = ", ".join(sql_string(s) for s in STATUS_FALSE)
    return f"CASE WHEN lower({t}) IN ({yes}) THEN true WHEN lower({t}) IN ({no}) THEN false END"


def status_spellings() -> str:
    """Return the accepted status spellings, for messages."""
    return "/".join(STATUS_TRUE) + " for enabled, " + "/".join(STATUS_FALSE) + " for disabled"


DATE_ORDER_NAMES = {"dmy": "day-first (D/M/YYYY)", "mdy": "month-first (M/D/YYYY)"}


def decide_date_order(
    file: str,
    column: str,
    stats: Mapping[str, object],
    name: str,
    date_order: str | None,
    notes: list[str],
    locate: Callable[[str], int | None] | None = None,
) -> str:
    """Return 'dmy' or 'mdy' for one column from its statistics, refusing a mixed column, and an
    ambiguous one unless `date_order` chooses (then with a note).

    `locate(value)` returns the row of a value, so that a refusal can name it.
    """

    def row(value: object) -> int | None:
        return locate(str(value)) if locate is not None else None

    dmy, mdy = int(stats[f"{name}_dmy"] or 0), int(stats[f"{name}_mdy"] or 0)
    if dmy and mdy:
        raise InputRefused(
            file,
            f"the dates mix day-first ({stats[f'{name}_dmy_ex']!r}) and month-first "
            f"({stats[f'{name}_mdy_ex']!r}) values",
            row=row(stats[f"{name}_mdy_ex"]),
            column=column,
            hint="Export the report again with one date format",
        )
    if dmy:
        return "dmy"
    if mdy:
        return "mdy"
    example = stats[f"{name}_ambiguous_ex"]
    if example is None:
        return date_order or "dmy"
    if date_order is None:
        # A wrong guess moves dates by months without any sign, so the user must choose.
        raise InputRefused(
            file,
            f"the dates are ambiguous: {example!r} could be day-first or month-first, and no value "
            "in the column settles it; it would be read day-first (LearnUpon's convention)",
            row=row(example),
            column=column,
            hint="Choose the order with --date-order dmy or --date-order mdy (the Data page has "
            "the same setting), then load again",
        )
    notes.append(
        f"{file}, column {column!r}: dates read {DATE_ORDER_NAMES[date_order]} as chosen "
        f"(for example {example!r}); the data alone does not show the order"
    )
    return date_order


def ragged_row(error: str) -> tuple[int, str] | None:
    """Return (row, what) from a DuckDB CSV error about a wrong number of fields, else None."""
    q = re.search(r"CSV Error on Line: (\d+).*?unterminated quote", error, re.S)
    if q is not None:
        return int(q.group(1)), "a quote in this row is never closed, or text follows its quote"
    m = re.search(
        r"CSV Error on Line: (\d+).*?Expected Number of Columns: (\d+) Found: (\d+)", error, re.S
    )
    if m is None:
        return None
    expected, found = int(m.group(2)), int(m.group(3))
    more = "more" if found > expected else "fewer"
    return int(m.group(1)), f"this row has {found} fields, {more} than the {expected} in the header"
