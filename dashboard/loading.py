"""Loading LearnUpon reports (or API pages) into the store as one snapshot.

Python sniffs a small sample of each file (encoding, separator, header); DuckDB reads, checks and
converts every row in SQL. Everything happens in one `store.write()` transaction, so a refused
file changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import re
import tempfile
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from dashboard import tabular
from dashboard.errors import InputRefused
from dashboard.store import Snapshot, Store, quote_ident, sql

if TYPE_CHECKING:
    import pandas as pd

Progress = Callable[[float, str], None]

_TIMESTAMP_FIELDS = ("created_at", "last_sign_in_at", "account_expires")
# Fields where a date beyond the plausible years means "never" (an account that does not expire).
_NEVER_FIELDS = frozenset({"account_expires"})
_NEVER = f"TIMESTAMP '{tabular.LATEST}'"
_IDENTITY_LABEL = {"email": "e-mail", "username": "username", "user_id": "user id"}
_FORMATS_HINT = (
    "Write it as YYYY-MM-DD HH:MM:SS (ISO 8601, with Z or an offset if needed), D/M/YYYY [H:MM] "
    "or M/D/YYYY [H:MM]; a year before 1970 or after 2099 is taken for a placeholder: leave "
    "the cell empty instead"
)


@dataclass(frozen=True)
class ReportFile:
    """A report to load: the name shown in messages and the path to read."""

    name: str
    path: Path

    @classmethod
    def from_path(cls, path: str | Path) -> ReportFile:
        """Return a ReportFile named after the file itself."""
        p = Path(path)
        return cls(p.name, p)


@dataclass(frozen=True)
class LoadResult:
    """What one load stored: the snapshot, its counts and notes for the user."""

    snapshot_id: int
    users: int
    activity_rows: int
    activity_unmatched: int
    as_of: date
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Return the SPEC section 6 JSON object of `load` and `sync`."""
        return {
            "snapshot_id": self.snapshot_id,
            "users": self.users,
            "activity_rows": self.activity_rows,
            "activity_unmatched": self.activity_unmatched,
            "as_of": self.as_of.isoformat(),
        }


@dataclass(frozen=True)
class _Prepared:
    """A report made readable by DuckDB: sniffed, fingerprinted, transcoded when needed."""

    report: ReportFile
    kind: str
    sniffed: tabular.Sniffed
    readable: Path
    number: int  # 0 for the users report, then the activity reports in order
    columns: dict[str, int]

    @property
    def name(self) -> str:
        return self.report.name

    def header(self, fld: str) -> str:
        return self.sniffed.headers[self.columns[fld]]

    def col(self, fld: str) -> str:
        """Return the trimmed text of a field's column ('' when empty)."""
        return f"coalesce({tabular.trim_sql(f'c{self.columns[fld]}')}, '')"

    def source(
        self, stamps: Sequence[str] = (), fmt: str | None = None, *, estimate: bool = False
    ) -> str:
        """Return the read_csv call of the file; `stamps` fields are read as TIMESTAMP in `fmt`.

        With `estimate`, DuckDB estimates the file's row count (see `tabular.read_csv_sql`).
        """
        return tabular.read_csv_sql(
            self.readable,
            self.sniffed.delimiter,
            len(self.sniffed.headers),
            stamps=[self.columns[f] for f in stamps],
            fmt=fmt,
            estimate=estimate,
        )

    def sample(self, fld: str) -> list[str]:
        """Return the sample's values of a field's column."""
        idx = self.columns[fld]
        return [r[idx] for r in self.sniffed.rows if len(r) > idx]

    def rows(self, records: Collection[int]) -> dict[int, int]:
        """Return the spreadsheet row of each record number (see `spreadsheet_rows`)."""
        return spreadsheet_rows(self.readable, self.sniffed.delimiter, records)


def _has_blank_line(path: Path) -> bool:
    """Return True when the file holds an empty line (or an empty line inside a quoted cell)."""
    tail = b""
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            block = tail + chunk
            if b"\n\n" in block or b"\n\r\n" in block:
                return True
            tail = block[-2:]
    return False


def spreadsheet_rows(path: Path, delimiter: str, records: Collection[int]) -> dict[int, int]:
    """Return the spreadsheet row (header = row 1) of each record number of a CSV file.

    A record number counts the records DuckDB's CSV reader returns, header = 1; the reader
    skips blank lines, a spreadsheet shows each as a row. Only refusals call this: a file with
    no blank line is not parsed at all, and one with blank lines only up to the last record
    asked for. A record spanning lines (a quoted line break) stays one row.
    """
    wanted = set(records)
    if not wanted or not _has_blank_line(path):
        return {r: r for r in wanted}
    found: dict[int, int] = {}
    seen, last = 0, max(wanted)
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter, quotechar='"', doublequote=True)
        try:
            for row, record in enumerate(reader, start=1):
                if record:
                    seen += 1
                    if seen in wanted:
                        found[seen] = row
                    if seen >= last:
                        break
        except csv.Error:
            pass  # a cell beyond the csv module's size limit: keep the reader's numbers
    return {r: found.get(r, r) for r in wanted}


# DuckDB spills to disk beyond this, which keeps a 10-million-row load under the 2 GiB bar.
LOAD_MEMORY_LIMIT = "1GB"


def _quiet_and_bounded(cur: duckdb.DuckDBPyConnection) -> None:
    cur.execute("SET enable_progress_bar = false")
    cur.execute(f"SET memory_limit = '{LOAD_MEMORY_LIMIT}'")


def _note(progress: Progress | None, fraction: float, text: str) -> None:
    if progress is not None:
        progress(fraction, text)


def _sha256(path: Path) -> str:
    """Return the SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def _prepare(
    report: ReportFile, kind: str, workdir: Path, number: int, *, cp1252: bool = False
) -> _Prepared:
    if not report.path.is_file():
        raise InputRefused(report.name, "the file does not exist", hint="Check the path")
    sniffed = tabular.sniff(report.path, report.name)
    if cp1252:
        sniffed = replace(sniffed, encoding="cp1252")
    readable = report.path
    if sniffed.needs_transcoding:
        readable = workdir / f"{number}.csv"
        try:
            tabular.transcode_to_utf8(report.path, sniffed.encoding, readable)
        except UnicodeError:
            raise InputRefused(
                report.name,
                f"the file is not valid {sniffed.encoding.upper()} text",
                hint="Save it again as CSV UTF-8 from your spreadsheet program",
            ) from None
    return _Prepared(report, kind, sniffed, readable, number, {})


class _Retry(Exception):  # noqa: N818 (control flow inside this module, never shown)
    """A file needs another attempt: read as Windows-1252, or checked in two passes."""

    def __init__(self, number: int, reason: str) -> None:
        super().__init__(reason)
        self.number = number
        self.reason = reason


def _csv_refusal(prep: _Prepared, exc: duckdb.Error) -> InputRefused:
    text = str(exc)
    if "Invalid unicode" in text and prep.sniffed.encoding == "utf-8":
        if prep.sniffed.ascii_sample:
            # Plain ASCII at the top, Windows-1252 further down: read it all as Windows-1252.
            raise _Retry(prep.number, "cp1252")
        line = re.search(r"CSV Error on Line: (\d+)", text)
        return InputRefused(
            prep.name,
            "the file mixes encodings: UTF-8 text above, another encoding in this row",
            row=int(line.group(1)) if line else None,
            hint="Save it again as CSV UTF-8 from your spreadsheet program",
        )
    ragged = tabular.ragged_row(text)
    if ragged is not None:
        row, what = ragged
        return InputRefused(
            prep.name,
            what,
            row=row,
            hint="Fix that row (a separator inside a value needs quotes) or export the report "
            "again",
        )
    first = text.splitlines()[0] if text else type(exc).__name__
    return InputRefused(
        prep.name,
        f"the file cannot be read as CSV ({first})",
        hint="Export the report again from LearnUpon as CSV",
    )


def _stats(cur: duckdb.DuckDBPyConnection, query: str) -> dict[str, Any]:
    rel = cur.execute(query)
    names = [d[0] for d in rel.description]
    return dict(zip(names, rel.fetchone(), strict=True))


def _locator(
    cur: duckdb.DuckDBPyConnection, table: str, column: str, row: Callable[[int], int]
) -> Callable[[str], int | None]:
    """Return a function giving the row of the first cell of `column` holding a value.

    `row` turns a rowid into a row number.
    """

    def locate(value: str) -> int | None:
        hit = cur.execute(
            f"SELECT min(rowid) FROM {table} WHERE {quote_ident(column)} = ?", [value]
        ).fetchone()[0]
        if hit is None:
            return None
        return row(hit)

    return locate


def _value_at(cur: duckdb.DuckDBPyConnection, table: str, column: str, rowid: int) -> str:
    return cur.execute(
        f"SELECT {quote_ident(column)} FROM {table} WHERE rowid = ?", [rowid]
    ).fetchone()[0]


# -- users ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Staged:
    """The users, checked, with the temporary view `_lu_parsed` converting them."""

    users: int
    identity: str


def _stage_users(
    cur: duckdb.DuckDBPyConnection,
    file: str,
    columns: Mapping[str, str],
    *,
    first_row: int,
    identity: str,
    date_order: str | None,
    timezone: str | None,
    notes: list[str],
    typed: Collection[str] = (),
    spreadsheet: Callable[[Collection[int]], dict[int, int]] | None = None,
) -> _Staged:
    """Check the rows of `_lu_raw` (one trimmed text column per field) and define `_lu_parsed`.

    `columns` maps each present field to the column title shown in messages; `first_row` is the
    number of the first data row as the user sees it. The `typed` timestamp fields were parsed
    by the CSV reader already (TIMESTAMP columns); a bad value among them is retried on the
    precise path, which reads them as text and names the row. `spreadsheet` turns record
    numbers into the rows a spreadsheet shows (a file's blank lines count); refusals only.
    """
    t = "_lu_raw"
    base = cur.execute(f"SELECT min(rowid), count(*) FROM {t}").fetchone()
    if base[1] == 0:
        raise InputRefused(
            file,
            "there are no accounts below the header",
            row=first_row,
            hint="Export the users report again; it should have one row per account",
        )
    start, n = int(base[0]), int(base[1])

    def rows(records: Collection[int]) -> dict[int, int]:
        return spreadsheet(records) if spreadsheet is not None else {r: r for r in records}

    def row(rowid: int) -> int:
        record = int(rowid) - start + first_row
        return rows([record])[record]

    key = f"lower({identity})"
    aggs = [
        "count(*) AS n",
        f"min(rowid) FILTER ({identity} = '') AS missing_key",
        f"count(DISTINCT {key}) FILTER ({identity} <> '') AS distinct_keys",
        f"min(rowid) FILTER ({tabular.status_sql('enabled')} IS NULL) AS bad_status",
        # No single '@': a totals or notes line, or the wrong column; the export would carry it.
        "min(rowid) FILTER (email <> '' AND NOT regexp_full_match(email, '[^@\\s]+@[^@\\s]+'))"
        " AS bad_email"
        if "email" in columns
        else "NULL AS bad_email",
    ]
    if "sign_in_count" in columns:
        aggs.append(
            "min(rowid) FILTER (sign_in_count <> '' AND "
            "try_cast(sign_in_count AS BIGINT) IS NULL) AS bad_count"
        )
    if "groups" in columns:
        aggs.append("bool_or(contains(groups, ';')) AS groups_semicolon")
    stamps = [f for f in _TIMESTAMP_FIELDS if f in columns]
    texts = [f for f in stamps if f not in typed]
    aggs += [tabular.timestamp_stats_sql(f, f) for f in texts]
    stats = _stats(cur, f"SELECT {', '.join(aggs)} FROM {t}")

    label = _IDENTITY_LABEL[identity]
    if stats["missing_key"] is not None:
        raise InputRefused(
            file,
            f"the {label} is empty",
            row=row(stats["missing_key"]),
            column=columns[identity],
            hint=f"Every account needs its {label}; fill it in or remove the row",
        )
    if stats["bad_email"] is not None:
        raise InputRefused(
            file,
            f"{_value_at(cur, t, 'email', stats['bad_email'])!r} is not an e-mail address",
            row=row(stats["bad_email"]),
            column=columns["email"],
            hint="Correct it, delete the row if it is a totals or notes line, or map the right "
            "column with --map 'HEADER=email'",
        )
    if stats["distinct_keys"] != n:
        dupes = cur.execute(
            sql("load_duplicate_keys").format(identity=identity), [start, first_row]
        ).fetchall()
        shown = rows([r for _, records in dupes for r in records])
        listed = "; ".join(
            f"{value!r} rows {', '.join(str(shown[r]) for r in records)}"
            for value, records in dupes
        )
        raise InputRefused(
            file,
            f"the same account appears more than once (case and spaces ignored): {listed}",
            row=shown[dupes[0][1][1]],
            column=columns[identity],
            hint="Remove the duplicate rows, then load again",
        )
    if stats["bad_status"] is not None:
        value = _value_at(cur, t, "enabled", stats["bad_status"])
        raise InputRefused(
            file,
            f"{value!r} is not an account status",
            row=row(stats["bad_status"]),
            column=columns["enabled"],
            hint=f"Write {tabular.status_spellings()} (any case)",
        )
    if stats.get("bad_count") is not None:
        value = _value_at(cur, t, "sign_in_count", stats["bad_count"])
        raise InputRefused(
            file,
            f"{value!r} is not a whole number of sign-ins",
            row=row(stats["bad_count"]),
            column=columns["sign_in_count"],
            hint="Leave it empty or write a whole number",
        )

    parsed: dict[str, str] = {}
    for f in texts:
        order = tabular.decide_date_order(
            file, columns[f], stats, f, date_order, notes, locate=_locator(cur, t, f, row)
        )
        parsed[f] = tabular.timestamp_sql(f, order, timezone=timezone)

    def text(f: str) -> str:
        return f"nullif(r.{f}, '')" if f in columns else "NULL::VARCHAR"

    def parsed_at(f: str) -> str:
        return f"r.{f}" if f in typed else f"r.p_{f}"

    def stamp(f: str) -> str:
        if f not in stamps:
            return "NULL::TIMESTAMP"
        if f in typed:
            return tabular.plausible_sql(f"r.{f}")
        return f"CASE WHEN r.{f} <> '' THEN {tabular.plausible_sql(f'r.p_{f}')} END"

    sep = ";" if stats.get("groups_semicolon") else ","
    groups = (
        f"list_filter(list_transform(string_split(r.groups, '{sep}'), lambda g: trim(g)), "
        "lambda g: g <> '')"
        if "groups" in columns
        else "NULL::VARCHAR[]"
    )
    cur.execute(
        sql("load_parse_users").format(
            first_rid=start,
            user_key=f"lower(r.{identity})",
            user_id=text("user_id"),
            email=text("email"),
            username=text("username"),
            first_name=text("first_name"),
            last_name=text("last_name"),
            user_type=f"lower({text('user_type')})",
            enabled=tabular.status_sql("r.enabled"),
            created_at=stamp("created_at"),
            last_sign_in_at=stamp("last_sign_in_at"),
            sign_in_count=(
                "try_cast(nullif(r.sign_in_count, '') AS BIGINT)"
                if "sign_in_count" in columns
                else "NULL::BIGINT"
            ),
            groups=groups,
            account_expires=stamp("account_expires"),
            raw_stamps=", ".join(
                [f"r.{f} AS raw_{f}" for f in stamps]
                + [
                    f"coalesce({parsed_at(f)} >= {_NEVER}, false) AS never_{f}"
                    for f in stamps
                    if f in _NEVER_FIELDS
                ]
            )
            or "NULL AS raw_none",
            parsed=", ".join(f"{e} AS p_{f}" for f, e in parsed.items()) or "NULL AS p_none",
        )
    )
    if stamps:
        given = {f: "IS NOT NULL" if f in typed else "<> ''" for f in stamps}
        # A far-future expiry date is LearnUpon's "never expires": stored as no date, not refused.
        never = {f: f" AND NOT never_{f}" if f in _NEVER_FIELDS else "" for f in stamps}
        checks = ", ".join(
            [
                f"min(rid) FILTER (raw_{f} {given[f]} AND {f} IS NULL{never[f]}) AS {f}"
                for f in stamps
            ]
            + [f"count(*) FILTER (never_{f}) AS never_{f}" for f in stamps if f in _NEVER_FIELDS]
        )
        bad = _stats(cur, f"SELECT {checks} FROM _lu_parsed")
        for f in stamps:
            if bad.get(f"never_{f}"):
                notes.append(
                    f"{file}: {bad[f'never_{f}']:,} accounts have a {columns[f]!r} in "
                    f"{tabular.LATEST[:4]} or later; read as never expiring"
                )
        for f in stamps:
            if bad[f] is not None and f in typed:
                raise _Retry(0, "precise")
            if bad[f] is not None:
                value = _value_at(cur, t, f, bad[f])
                raise InputRefused(
                    file,
                    f"{value!r} is not a date and time this product can read",
                    row=row(bad[f]),
                    column=columns[f],
                    hint=_FORMATS_HINT,
                )
    return _Staged(users=n, identity=identity)


def _plain_stamps(prep: _Prepared, timezone: str | None) -> tuple[list[str], str | None]:
    """Return the users report's timestamp fields the CSV reader can parse, and their format.

    The reader takes one format per file: the one most of the fields' samples share.
    """
    formats = {
        f: tabular.plain_format(prep.sample(f), timezone=timezone)
        for f in _TIMESTAMP_FIELDS
        if f in prep.columns
    }
    found = [fmt for fmt in formats.values() if fmt is not None]
    if not found:
        return [], None
    fmt = max(found, key=found.count)
    return [f for f, each in formats.items() if each == fmt], fmt


def _pick_identity(file: str, present: Sequence[str], identity: str | None) -> str:
    if identity is not None:
        if identity not in present:
            raise InputRefused(
                file,
                f"there is no {_IDENTITY_LABEL.get(identity, identity)} column",
                row=1,
                hint=f"Map one with {tabular.MAP_HINT}",
            )
        return identity
    for candidate in ("email", "username"):
        if candidate in present:
            return candidate
    raise InputRefused(
        file,
        "no e-mail or username column",
        row=1,
        hint="Map one with --map 'Work Mail=email' (or the column mapping on the Data page)",
    )


def _require_enabled(file: str, present: Sequence[str]) -> None:
    if "enabled" not in present:
        raise InputRefused(
            file,
            "no enabled/status column: a seat review cannot guess which accounts hold seats",
            row=1,
            hint="Map the column that says whether an account is enabled, for example "
            "--map 'Account State=enabled'",
        )


def _finish(
    cur: duckdb.DuckDBPyConnection,
    snapshot_id: int,
    *,
    source: str,
    label: str | None,
    files: list[dict[str, Any]],
    as_of: date,
    staged: _Staged,
    activity_rows: int,
    activity_unmatched: int,
    is_demo: bool,
) -> None:
    cur.execute(sql("load_insert_accounts"), [snapshot_id, snapshot_id])
    Store.insert_snapshot(
        cur,
        Snapshot(
            snapshot_id,
            source,
            label,
            files,
            as_of,
            datetime.now(UTC).replace(tzinfo=None),
            staged.identity,
            staged.users,
            activity_rows,
            activity_unmatched,
            is_demo,
        ),
    )
    cur.execute("DROP VIEW IF EXISTS _lu_parsed")
    cur.execute("DROP TABLE IF EXISTS _lu_raw")
    cur.execute("DROP TABLE IF EXISTS _lu_lookup")


def _check_timezone(cur: duckdb.DuckDBPyConnection, timezone: str | None) -> None:
    if timezone is None:
        return
    try:
        cur.execute("SELECT timezone(?, TIMESTAMP '2000-01-01')", [timezone]).fetchone()
    except duckdb.Error:
        raise InputRefused(
            "--timezone",
            f"{timezone!r} is not a time zone",
            hint="Use an IANA name such as Europe/Dublin or America/New_York",
        ) from None


# -- activity -------------------------------------------------------------------------------------


def _activity_identity(prep: _Prepared, portal_identity: str) -> str:
    present = [f for f in ("email", "username", "user_id") if f in prep.columns]
    if not present:
        raise InputRefused(
            prep.name,
            "no e-mail, username or user id column to tell whose activity a row is",
            row=1,
            hint=f"Map one with {tabular.MAP_HINT}",
        )
    if "activity_at" not in prep.columns:
        raise InputRefused(
            prep.name,
            "no date/time column (such as 'Login Date' or 'Activity Date')",
            row=1,
            hint="Map one with --map 'HEADER=activity_at' (or the column mapping on the Data page)",
        )
    return portal_identity if portal_identity in present else present[0]


_BLANK = "TIMESTAMP '0001-01-01'"  # marks rows with an empty timestamp until they are deleted


def _diagnose(prep: _Prepared, date_order: str | None, timezone: str | None) -> None:
    """Read an activity file's timestamp column again, on its own, and refuse what is wrong
    with it (mixed or ambiguous day/month order, a value that does not parse)."""

    def row(rowid: int) -> int:
        record = int(rowid) + 2
        return prep.rows([record])[record]

    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        con.execute(f"CREATE TABLE x AS SELECT {prep.col('activity_at')} AS t FROM {prep.source()}")
        stats = _stats(con, f"SELECT {tabular.timestamp_stats_sql('t', 'ts')} FROM x")
        column = prep.header("activity_at")
        order = tabular.decide_date_order(
            prep.name, column, stats, "ts", date_order, [], locate=_locator(con, "x", "t", row)
        )
        parse = tabular.timestamp_sql("t", order, timezone=timezone)
        hit = con.execute(
            f"SELECT rid, t FROM (SELECT rowid AS rid, t, {parse} AS p FROM x) "
            f"WHERE t <> '' AND {tabular.plausible_sql('p')} IS NULL ORDER BY rid LIMIT 1"
        ).fetchone()
    if hit is not None:
        raise InputRefused(
            prep.name,
            f"{hit[1]!r} is not a date and time this product can read",
            row=row(hit[0]),
            column=column,
            hint=_FORMATS_HINT,
        )


def _activity_order(
    cur: duckdb.DuckDBPyConnection,
    prep: _Prepared,
    *,
    two_pass: bool,
    date_order: str | None,
    notes: list[str],
) -> str | None:
    """Return the day/month order of the timestamp column (None when it has no D/M/Y values).

    The sample decides when it can; a later value that contradicts it fails the insert, and
    the file is then checked in full (`two_pass`).
    """
    column = prep.header("activity_at")
    if not two_pass:
        stats = tabular.sample_timestamp_stats(prep.sample("activity_at"), "ts")
        if not stats["ts_slashes"]:
            return None
        proven = stats["ts_dmy"] or stats["ts_mdy"]
        if proven or date_order is not None or stats["ts_ambiguous_ex"] is None:
            return tabular.decide_date_order(prep.name, column, stats, "ts", date_order, notes)
    try:
        stats = _stats(
            cur,
            f"SELECT {tabular.timestamp_stats_sql('t', 'ts')} "
            f"FROM (SELECT {prep.col('activity_at')} AS t FROM {prep.source()})",
        )
    except duckdb.Error as exc:
        raise _csv_refusal(prep, exc) from None
    if not stats["ts_slashes"]:
        return None
    return tabular.decide_date_order(prep.name, column, stats, "ts", date_order, notes)


def _load_activity(
    cur: duckdb.DuckDBPyConnection,
    prep: _Prepared,
    *,
    snapshot_id: int,
    portal_identity: str,
    date_order: str | None,
    timezone: str | None,
    two_pass: bool,
    fast: bool,
    estimate: bool,
    notes: list[str],
) -> tuple[int, int]:
    """Insert one activity file; return (rows read, rows matching no account).

    With `fast`, and when the sample writes every timestamp in one plain format, DuckDB's CSV
    reader parses the timestamps itself; any failure of that read is retried on the precise
    path (all text, converted in SQL), which names the bad row. With `estimate`, DuckDB's
    sniffer estimates the file's size for the join's plan; a file it cannot sample is read
    again without.
    """
    who = _activity_identity(prep, portal_identity)
    fmt = tabular.plain_format(prep.sample("activity_at"), timezone=timezone) if fast else None
    order = None
    if fmt is None:
        order = _activity_order(cur, prep, two_pass=two_pass, date_order=date_order, notes=notes)
    # Matched on the accounts' own key when the report has it, else through a lookup table.
    lookup = "_lu_parsed"
    if who != portal_identity:
        lookup_key = {"email": "lower(email)", "username": "lower(username)", "user_id": "user_id"}
        cur.execute("DROP TABLE IF EXISTS _lu_lookup")
        cur.execute(sql("load_activity_lookup").format(key=lookup_key[who]))
        lookup = "_lu_lookup"
    others = [
        (i, h)
        for i, h in enumerate(prep.sniffed.headers)
        if i not in (prep.columns[who], prep.columns["activity_at"])
    ]
    names: list[str] = []
    for i, h in others:
        name = h or f"column {i + 1}"
        while name.lower() in (n.lower() for n in names):  # struct keys ignore case
            name += "'"
        names.append(name)
    # The other columns as one JSON object per row: a struct turned into JSON text costs a
    # fraction of a MAP (keys and values stored as lists) over ten million rows.
    extra = (
        "to_json({"
        + ", ".join(
            f"{tabular.sql_string(n)}: c{i}" for n, (i, _) in zip(names, others, strict=True)
        )
        + "})"
        if others
        else "NULL::JSON"
    )
    ident = prep.col(who)
    if fmt is None:
        parse = {
            "t": prep.col("activity_at"),
            "is_blank": "t = ''",
            "activity_at": tabular.timestamp_sql("t", order, timezone=timezone),
            "source": prep.source(estimate=estimate),
        }
    else:
        parse = {
            "t": f"c{prep.columns['activity_at']}",
            "is_blank": "t IS NULL",
            "activity_at": "t",
            "source": prep.source(["activity_at"], fmt, estimate=estimate),
        }
    query = sql("load_insert_activity").format(
        identity=ident,
        key="identity" if who == "user_id" else "lower(identity)",
        lookup=lookup,
        lookup_key="user_key" if lookup == "_lu_parsed" else "k",
        plausible=tabular.plausible_sql("r.p"),
        blank=_BLANK,
        extra=extra,
        **parse,
    )
    try:
        n = int(cur.execute(query, [snapshot_id, prep.number]).fetchone()[0])
    except duckdb.Error as exc:
        if estimate and "sniffing" in str(exc):
            raise _Retry(prep.number, "unsniffed") from None  # read again without the estimate
        if fmt is not None:
            raise _Retry(prep.number, "precise") from None
        if isinstance(exc, duckdb.ConstraintException):
            raise _Retry(prep.number, "timestamps") from None
        raise _csv_refusal(prep, exc) from None
    if n == 0:
        raise InputRefused(
            prep.name,
            "there are no rows below the header",
            row=2,
            hint="Export the activity report again, or load without it",
        )
    blank, unmatched = cur.execute(
        f"SELECT count(*) FILTER (activity_at = {_BLANK}), "
        f"count(*) FILTER (activity_at <> {_BLANK} AND account_no IS NULL) "
        "FROM activity WHERE snapshot_id = ? AND file_no = ?",
        [snapshot_id, prep.number],
    ).fetchone()
    if blank:
        cur.execute(
            "DELETE FROM activity WHERE snapshot_id = ? AND file_no = ? "
            f"AND activity_at = {_BLANK}",
            [snapshot_id, prep.number],
        )
        notes.append(
            f"{prep.name}: {blank} rows with no {prep.header('activity_at')!r} "
            "were skipped (no activity to record)"
        )
    return n, int(unmatched)


# -- public ---------------------------------------------------------------------------------------


def load_reports(
    store: Store,
    users: ReportFile,
    activity: Sequence[ReportFile] = (),
    *,
    as_of: date | None = None,
    mapping: Mapping[str, str] | None = None,
    date_order: str | None = None,
    timezone: str | None = None,
    source: str = "csv",
    label: str | None = None,
    is_demo: bool = False,
    progress: Progress | None = None,
) -> LoadResult:
    """Load a users report and its activity reports as one snapshot; return what was stored.

    Raises InputRefused (naming file, row, column and what to do) and changes nothing when any
    file is bad.
    """
    if date_order not in (None, "dmy", "mdy"):
        raise InputRefused("--date-order", f"{date_order!r} is not dmy or mdy")
    mapping = dict(mapping or {})
    as_of = as_of or datetime.now(UTC).date()
    reports = [users, *activity]
    with (
        tempfile.TemporaryDirectory(prefix="lu-seats-") as tmp,
        ThreadPoolExecutor(max_workers=1) as pool,
    ):
        workdir = Path(tmp)
        # The fingerprints are read while DuckDB works (hashing releases the GIL).
        hashes = [pool.submit(_sha256, r.path) if r.path.is_file() else None for r in reports]
        preps: list[_Prepared] = []
        for i, report in enumerate(reports):
            _note(progress, 0.02 + 0.08 * i / len(reports), f"Reading {report.name}")
            preps.append(_prepare(report, "users" if i == 0 else "activity", workdir, i))
        tabular.check_mapping(mapping, {p.name: p.sniffed.headers for p in preps})
        preps = [
            replace(p, columns=tabular.resolve_columns(p.name, p.sniffed.headers, p.kind, mapping))
            for p in preps
        ]
        header_notes = [
            f"{p.name}: {note}"
            for p in preps
            for note in tabular.unused_alias_columns(p.sniffed.headers, p.kind, p.columns)
        ]
        identity = _pick_identity(preps[0].name, list(preps[0].columns), None)
        _require_enabled(preps[0].name, list(preps[0].columns))
        for prep in preps[1:]:
            _activity_identity(prep, identity)
        two_pass: set[int] = set()
        precise: set[int] = set()  # files whose fast read failed: read as text from now on
        unsniffed: set[int] = set()  # files DuckDB's sniffer could not sample: no estimate
        for _attempt in range(4 * len(reports) + 1):
            try:
                result = _write_reports(
                    store,
                    preps,
                    hashes,
                    identity=identity,
                    as_of=as_of,
                    date_order=date_order,
                    timezone=timezone,
                    source=source,
                    label=label or users.name,
                    is_demo=is_demo,
                    two_pass=two_pass,
                    precise=precise,
                    unsniffed=unsniffed,
                    progress=progress,
                )
                break
            except _Retry as retry:
                prep = preps[retry.number]
                if retry.reason == "precise":
                    precise.add(retry.number)
                    continue
                if retry.reason == "unsniffed":
                    unsniffed.add(retry.number)
                    continue
                if retry.reason == "cp1252":
                    fresh = _prepare(prep.report, prep.kind, workdir, prep.number, cp1252=True)
                    preps[retry.number] = replace(fresh, columns=prep.columns)
                    continue
                _diagnose(prep, date_order, timezone)
                if retry.number in two_pass:
                    raise InputRefused(
                        prep.name,
                        "a date and time in this file could not be read",
                        column=prep.header("activity_at"),
                        hint=_FORMATS_HINT,
                    ) from None
                two_pass.add(retry.number)
        else:
            raise InputRefused(users.name, "the reports could not be read consistently")
    _note(progress, 1.0, "Done")
    return replace(result, notes=header_notes + result.notes)


def _write_reports(
    store: Store,
    preps: list[_Prepared],
    hashes: list[Future[str] | None],
    *,
    identity: str,
    as_of: date,
    date_order: str | None,
    timezone: str | None,
    source: str,
    label: str,
    is_demo: bool,
    two_pass: set[int],
    precise: set[int],
    unsniffed: set[int],
    progress: Progress | None,
) -> LoadResult:
    """Write the prepared reports as one snapshot in one transaction; return what was stored."""
    notes: list[str] = []
    user_prep = preps[0]
    with store.write() as cur:
        _quiet_and_bounded(cur)
        _check_timezone(cur, timezone)
        _note(progress, 0.12, f"Checking {user_prep.name}")
        typed, fmt = _plain_stamps(user_prep, timezone) if 0 not in precise else ((), None)
        select = ", ".join(
            f"c{user_prep.columns[f]} AS {f}" if f in typed else f"{user_prep.col(f)} AS {f}"
            for f in user_prep.columns
        )
        try:
            cur.execute(
                f"CREATE TEMP TABLE _lu_raw AS SELECT {select} FROM {user_prep.source(typed, fmt)}"
            )
        except duckdb.Error as exc:
            if typed:
                raise _Retry(0, "precise") from None
            raise _csv_refusal(user_prep, exc) from None
        staged = _stage_users(
            cur,
            user_prep.name,
            {f: user_prep.header(f) for f in user_prep.columns},
            first_row=2,
            identity=identity,
            date_order=date_order,
            timezone=timezone,
            notes=notes,
            typed=typed,
            spreadsheet=user_prep.rows,
        )
        snapshot_id = Store.next_snapshot_id(cur)
        counts = [staged.users]
        rows_read = unmatched = 0
        for prep in preps[1:]:
            _note(
                progress, 0.3 + 0.6 * (prep.number - 1) / (len(preps) - 1), f"Loading {prep.name}"
            )
            n, u = _load_activity(
                cur,
                prep,
                snapshot_id=snapshot_id,
                portal_identity=identity,
                date_order=date_order,
                timezone=timezone,
                two_pass=prep.number in two_pass,
                fast=prep.number not in precise,
                estimate=prep.number not in unsniffed,
                notes=notes,
            )
            counts.append(n)
            rows_read += n
            unmatched += u
        _note(progress, 0.92, "Saving the snapshot")
        files = [
            {
                "name": p.name,
                "kind": p.kind,
                "sha256": h.result() if h is not None else None,
                "rows": c,
            }
            for p, h, c in zip(preps, hashes, counts, strict=True)
        ]
        _finish(
            cur,
            snapshot_id,
            source=source,
            label=label,
            files=files,
            as_of=as_of,
            staged=staged,
            activity_rows=rows_read,
            activity_unmatched=unmatched,
            is_demo=is_demo,
        )
    return LoadResult(snapshot_id, staged.users, rows_read, unmatched, as_of, notes)


def commit_accounts(
    store: Store,
    accounts: pd.DataFrame,
    *,
    source: str,
    label: str | None,
    files: list[dict[str, Any]],
    as_of: date | None,
    identity: str = "email",
    progress: Progress | None = None,
) -> LoadResult:
    """Check accounts given as a DataFrame with canonical column names and store them as one
    snapshot (the API sync's path; the same checks as a file load); return what was stored."""
    file = label or source
    present = [c for c in tabular.USER_FIELDS if c in accounts.columns]
    identity = _pick_identity(file, present, identity)
    _require_enabled(file, present)
    as_of = as_of or datetime.now(UTC).date()
    notes: list[str] = []
    _note(progress, 0.1, "Checking accounts")
    with store.write() as cur:
        _quiet_and_bounded(cur)
        cur.register("_lu_frame", accounts)
        types = dict(
            cur.execute(
                "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM _lu_frame)"
            ).fetchall()
        )

        def text(f: str) -> str:
            col = quote_ident(f)
            if types[f].endswith("[]"):
                col = f"array_to_string({col}, ';')"
            return f"coalesce(trim(CAST({col} AS VARCHAR)), '') AS {f}"

        cur.execute(
            f"CREATE TEMP TABLE _lu_raw AS SELECT {', '.join(text(f) for f in present)} "
            "FROM _lu_frame"
        )
        cur.unregister("_lu_frame")
        staged = _stage_users(
            cur,
            file,
            {f: f for f in present},
            first_row=1,
            identity=identity,
            date_order="dmy",
            timezone=None,
            notes=notes,
        )
        snapshot_id = Store.next_snapshot_id(cur)
        _note(progress, 0.8, "Saving the snapshot")
        _finish(
            cur,
            snapshot_id,
            source=source,
            label=label,
            files=files,
            as_of=as_of,
            staged=staged,
            activity_rows=0,
            activity_unmatched=0,
            is_demo=False,
        )
    _note(progress, 1.0, "Done")
    return LoadResult(snapshot_id, staged.users, 0, 0, as_of, notes)
