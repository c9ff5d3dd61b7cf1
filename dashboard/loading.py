"""Loading LearnUpon reports (or API pages) into the store as one snapshot.

Python sniffs a small sample of each file (encoding, separator, header); DuckDB reads, checks and
converts every row in SQL. Everything happens in one `store.write()` transaction, so a refused
file changes nothing.
"""

from __future__ import annotations

import codecs
import hashlib
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from dashboard import tabular
from dashboard.errors import InputRefused
from dashboard.store import Snapshot, Store, quote_ident, sql

Progress = Callable[[float, str], None]

_TIMESTAMP_FIELDS = ("created_at", "last_sign_in_at", "account_expires")
_IDENTITY_LABEL = {"email": "e-mail", "username": "username", "user_id": "user id"}
_FORMATS_HINT = (
    "Write it as YYYY-MM-DD HH:MM:SS (ISO 8601, with Z or an offset if needed), D/M/YYYY [H:MM] "
    "or M/D/YYYY [H:MM]"
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
    sha256: str
    columns: dict[str, int]

    @property
    def name(self) -> str:
        return self.report.name

    def header(self, fld: str) -> str:
        return self.sniffed.headers[self.columns[fld]]

    def col(self, fld: str) -> str:
        """Return the trimmed text of a field's column ('' when empty)."""
        return f"coalesce(trim(c{self.columns[fld]}), '')"

    def source(self) -> str:
        return tabular.read_csv_sql(
            self.readable, self.sniffed.delimiter, len(self.sniffed.headers)
        )


def _note(progress: Progress | None, fraction: float, text: str) -> None:
    if progress is not None:
        progress(fraction, text)


def _fingerprint(path: Path, check_utf8: bool) -> tuple[str, bool]:
    """Return the file's SHA-256 and whether every byte is valid UTF-8 (when asked)."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")() if check_utf8 else None
    valid = True
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
            if decoder is not None and valid and not chunk.isascii():
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    valid = False
    if decoder is not None and valid:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            valid = False
    return digest.hexdigest(), valid


def _prepare(report: ReportFile, kind: str, workdir: Path, number: int) -> _Prepared:
    if not report.path.is_file():
        raise InputRefused(report.name, "the file does not exist", hint="Check the path")
    sniffed = tabular.sniff(report.path, report.name)
    utf8 = sniffed.encoding in ("utf-8", "utf-8-sig")
    sha256, valid = _fingerprint(report.path, check_utf8=utf8)
    if utf8 and not valid:
        if not sniffed.ascii_sample:
            raise InputRefused(
                report.name,
                "the file is not valid UTF-8 text: it mixes encodings",
                hint="Save it again as CSV UTF-8 from your spreadsheet program",
            )
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
    return _Prepared(report, kind, sniffed, readable, sha256, {})


def _csv_refusal(prep: _Prepared, exc: duckdb.Error) -> InputRefused:
    text = str(exc)
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


def _value_at(cur: duckdb.DuckDBPyConnection, table: str, column: str, rowid: int) -> str:
    return cur.execute(
        f"SELECT {quote_ident(column)} FROM {table} WHERE rowid = ?", [rowid]
    ).fetchone()[0]


# -- users ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Staged:
    """The users, checked and parsed into the temporary table `_lu_parsed`."""

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
) -> _Staged:
    """Check the rows of `_lu_raw` (one trimmed text column per field) and build `_lu_parsed`.

    `columns` maps each present field to the column title shown in messages; `first_row` is the
    number of the first data row as the user sees it.
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

    def row(rowid: int) -> int:
        return int(rowid) - start + first_row

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
    aggs += [tabular.timestamp_stats_sql(f, f) for f in stamps]
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
        listed = "; ".join(
            f"{value!r} rows {', '.join(str(r) for r in rows)}" for value, rows in dupes
        )
        raise InputRefused(
            file,
            f"the same account appears more than once (case and spaces ignored): {listed}",
            row=dupes[0][1][1],
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

    exprs: dict[str, str] = {}
    for f in stamps:
        order = tabular.decide_date_order(file, columns[f], stats, f, date_order, notes)
        exprs[f] = tabular.timestamp_sql(
            f, order, offsets=bool(stats[f"{f}_offsets"]), timezone=timezone
        )
    if stamps:
        checks = ", ".join(
            f"min(rowid) FILTER ({f} <> '' AND ({exprs[f]}) IS NULL) AS {f}" for f in stamps
        )
        bad = _stats(cur, f"SELECT {checks} FROM {t}")
        for f in stamps:
            if bad[f] is not None:
                value = _value_at(cur, t, f, bad[f])
                raise InputRefused(
                    file,
                    f"{value!r} is not a date and time this product can read",
                    row=row(bad[f]),
                    column=columns[f],
                    hint=_FORMATS_HINT,
                )

    def text(f: str) -> str:
        return f"nullif({f}, '')" if f in columns else "NULL::VARCHAR"

    def stamp(f: str) -> str:
        return f"CASE WHEN {f} <> '' THEN {exprs[f]} END" if f in stamps else "NULL::TIMESTAMP"

    sep = ";" if stats.get("groups_semicolon") else ","
    groups = (
        f"list_filter(list_transform(string_split(groups, '{sep}'), lambda g: trim(g)), "
        "lambda g: g <> '')"
        if "groups" in columns
        else "NULL::VARCHAR[]"
    )
    cur.execute(
        sql("load_parse_users").format(
            user_key=key,
            user_id=text("user_id"),
            email=text("email"),
            username=text("username"),
            first_name=text("first_name"),
            last_name=text("last_name"),
            user_type=f"lower({text('user_type')})",
            enabled=tabular.status_sql("enabled"),
            created_at=stamp("created_at"),
            last_sign_in_at=stamp("last_sign_in_at"),
            sign_in_count=(
                "try_cast(nullif(sign_in_count, '') AS BIGINT)"
                if "sign_in_count" in columns
                else "NULL::BIGINT"
            ),
            groups=groups,
            account_expires=f"CAST({stamp('account_expires')} AS DATE)",
        )
    )
    return _Staged(users=n, identity=identity)


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
    cur.execute("DROP TABLE IF EXISTS _lu_raw")
    cur.execute("DROP TABLE IF EXISTS _lu_parsed")
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


def _first_bad_timestamp(prep: _Prepared, parse: str) -> tuple[int, str] | None:
    """Return (row, value) of the first unparseable timestamp, reading the file again."""
    with duckdb.connect() as con:
        con.execute(f"CREATE TABLE x AS SELECT {prep.col('activity_at')} AS t FROM {prep.source()}")
        hit = con.execute(
            f"SELECT rowid, t FROM x WHERE t <> '' AND ({parse}) IS NULL ORDER BY rowid LIMIT 1"
        ).fetchone()
    return None if hit is None else (int(hit[0]) + 2, hit[1])


def _load_activity(
    cur: duckdb.DuckDBPyConnection,
    prep: _Prepared,
    *,
    snapshot_id: int,
    file_no: int,
    portal_identity: str,
    date_order: str | None,
    timezone: str | None,
    notes: list[str],
) -> tuple[int, int]:
    """Insert one activity file; return (rows read, rows matching no account)."""
    who = _activity_identity(prep, portal_identity)
    t = prep.col("activity_at")
    try:
        stats = _stats(
            cur,
            f"SELECT count(*) AS n, count(*) FILTER (t = '') AS blank, "
            f"{tabular.timestamp_stats_sql('t', 'ts')} FROM (SELECT {t} AS t FROM {prep.source()})",
        )
    except duckdb.Error as exc:
        raise _csv_refusal(prep, exc) from None
    if stats["n"] == 0:
        raise InputRefused(
            prep.name,
            "there are no rows below the header",
            row=2,
            hint="Export the activity report again, or load without it",
        )
    order = tabular.decide_date_order(
        prep.name, prep.header("activity_at"), stats, "ts", date_order, notes
    )
    parse = tabular.timestamp_sql("t", order, offsets=bool(stats["ts_offsets"]), timezone=timezone)
    if stats["blank"]:
        notes.append(
            f"{prep.name}: {stats['blank']} rows with no {prep.header('activity_at')!r} "
            "were skipped (no activity to record)"
        )

    lookup_key = {"email": "lower(email)", "username": "lower(username)", "user_id": "user_id"}
    cur.execute("DROP TABLE IF EXISTS _lu_lookup")
    cur.execute(sql("load_activity_lookup").format(key=lookup_key[who]))
    others = [
        (i, h)
        for i, h in enumerate(prep.sniffed.headers)
        if i not in (prep.columns[who], prep.columns["activity_at"])
    ]
    names: list[str] = []
    for i, h in others:
        name = h or f"column {i + 1}"
        while name in names:
            name += "'"
        names.append(name)
    extra = (
        "map(["
        + ", ".join(tabular.sql_string(n) for n in names)
        + "], ["
        + ", ".join(f"c{i}" for i, _ in others)
        + "])"
        if others
        else "NULL::MAP(VARCHAR, VARCHAR)"
    )
    ident = prep.col(who)
    key = ident if who == "user_id" else f"lower({ident})"
    query = sql("load_insert_activity").format(
        identity=ident, key=key, t=t, activity_at=parse, extra=extra, source=prep.source()
    )
    try:
        cur.execute(query, [snapshot_id, file_no])
    except duckdb.ConstraintException:
        bad = _first_bad_timestamp(prep, parse)
        row, value = bad if bad is not None else (None, "?")
        raise InputRefused(
            prep.name,
            f"{value!r} is not a date and time this product can read",
            row=row,
            column=prep.header("activity_at"),
            hint=_FORMATS_HINT,
        ) from None
    except duckdb.Error as exc:
        raise _csv_refusal(prep, exc) from None
    unmatched = cur.execute(
        "SELECT count(*) FROM activity WHERE snapshot_id = ? AND file_no = ? AND user_key IS NULL",
        [snapshot_id, file_no],
    ).fetchone()[0]
    return int(stats["n"]), int(unmatched)


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
    notes: list[str] = []
    total = 1 + len(activity)
    with tempfile.TemporaryDirectory(prefix="lu-seats-") as tmp:
        workdir = Path(tmp)
        _note(progress, 0.02, f"Reading {users.name}")
        preps = [_prepare(users, "users", workdir, 0)]
        for i, report in enumerate(activity, start=1):
            _note(progress, 0.02 + 0.08 * i / total, f"Reading {report.name}")
            preps.append(_prepare(report, "activity", workdir, i))
        tabular.check_mapping(mapping, {p.name: p.sniffed.headers for p in preps})
        preps = [
            replace(p, columns=tabular.resolve_columns(p.name, p.sniffed.headers, p.kind, mapping))
            for p in preps
        ]
        user_prep = preps[0]
        identity = _pick_identity(user_prep.name, list(user_prep.columns), None)
        _require_enabled(user_prep.name, list(user_prep.columns))
        for prep in preps[1:]:
            _activity_identity(prep, identity)

        with store.write() as cur:
            _check_timezone(cur, timezone)
            _note(progress, 0.12, f"Checking {users.name}")
            select = ", ".join(f"{user_prep.col(f)} AS {f}" for f in user_prep.columns)
            try:
                cur.execute(
                    f"CREATE TEMP TABLE _lu_raw AS SELECT {select} FROM {user_prep.source()}"
                )
            except duckdb.Error as exc:
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
            )
            snapshot_id = Store.next_snapshot_id(cur)
            files = [
                {
                    "name": users.name,
                    "kind": "users",
                    "sha256": user_prep.sha256,
                    "rows": staged.users,
                }
            ]
            rows_read = unmatched = 0
            for file_no, prep in enumerate(preps[1:], start=1):
                _note(
                    progress, 0.3 + 0.6 * (file_no - 1) / max(1, total - 1), f"Loading {prep.name}"
                )
                n, u = _load_activity(
                    cur,
                    prep,
                    snapshot_id=snapshot_id,
                    file_no=file_no,
                    portal_identity=identity,
                    date_order=date_order,
                    timezone=timezone,
                    notes=notes,
                )
                rows_read += n
                unmatched += u
                files.append(
                    {"name": prep.name, "kind": "activity", "sha256": prep.sha256, "rows": n}
                )
            _note(progress, 0.92, "Saving the snapshot")
            _finish(
                cur,
                snapshot_id,
                source=source,
                label=label or users.name,
                files=files,
                as_of=as_of,
                staged=staged,
                activity_rows=rows_read,
                activity_unmatched=unmatched,
                is_demo=is_demo,
            )
    _note(progress, 1.0, "Done")
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
        cur.register("_lu_frame", accounts)
        types = dict(
            cur.execute(
                "SELECT column_name, data_type FROM (DESCRIBE SELECT * FROM _lu_frame)"
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
