"""The SQL sandbox: read-only ad-hoc queries on a locked-down, in-memory copy of one snapshot.

DuckDB cannot open the product's file a second time with other settings, and once
`enable_external_access` is off it cannot be switched back on. So the sandbox is its own in-memory
database instance: it is fed (through Arrow) the tables a reviewer may read, then locked down (no
file, network or extension access; configuration locked). Every query is parsed first and only a
single SELECT (or EXPLAIN of one) may run, inside a transaction that is always rolled back.
The Explore page and the `sql` command share this module.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from typing import Any
from uuid import UUID

import duckdb
import pandas as pd
import pyarrow as pa

from dashboard.errors import QueryRefused
from dashboard.store import Store, quote_ident, sql

SANDBOX_TABLES = ("accounts", "activity", "snapshots", "exports", "decisions")
# Tables holding one row per account (or report row) per snapshot: fed for one snapshot only.
PER_SNAPSHOT = frozenset({"accounts", "activity"})
# Where the copied rows live; queries read them through views in `main` with the product's types.
STORAGE_SCHEMA = "sandbox_storage"
# The product stores an activity row's account as a number (accounts.account_no); the sandbox's
# activity view adds the account's key next to it, so that a query need not join for it.
_ACTIVITY_WITH_KEY = (
    "SELECT r.snapshot_id, r.file_no, r.account_no, a.user_key, "
    "r.* EXCLUDE (snapshot_id, file_no, account_no) "
    "FROM ({rows}) AS r LEFT JOIN main.accounts AS a ON a.account_no = r.account_no"
)
ACTIVITY_KEY_COLUMN = ("activity", "user_key", "VARCHAR")
EXAMPLES = (
    "sandbox_example_types",
    "sandbox_example_never_signed_in",
    "sandbox_example_activity_month",
    "sandbox_example_activity_columns",
    "sandbox_example_recency",
    "sandbox_example_exports",
)
DEFAULT_MAX_ROWS = 1_000_000
DEFAULT_TIMEOUT_S = 30.0
MAX_QUERY_CHARS = 100_000
FEED_BATCH_ROWS = 250_000
FEED_CHUNK_ROWS = 2_000_000
RESULT_BATCH_ROWS = 65_536
# Room for sorts, joins and aggregates on top of the tables the sandbox holds in memory.
WORK_MEMORY_BYTES = 2 * 1024**3

# Set when the instance is created; `allow_unsigned_extensions` can only be set here.
_STARTUP_CONFIG = {
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    "allow_persistent_secrets": False,
    # Not used with persistent secrets off; the default would show the server's home directory.
    "secret_directory": "no-persistent-secrets",
    # No spilling to disk: a query that needs more memory than the limit fails instead.
    "temp_directory": "",
    # Python variables must never be readable as tables from user SQL.
    "python_enable_replacements": False,
}

_WHY_NOT = {
    "INSERT": "INSERT changes data",
    "UPDATE": "UPDATE changes data",
    "DELETE": "DELETE changes data",
    "MERGE_INTO": "MERGE changes data",
    "CREATE": "CREATE makes tables, views, macros or secrets",
    "CREATE_FUNC": "CREATE makes functions",
    "DROP": "DROP removes tables",
    "ALTER": "ALTER changes tables",
    "COPY": "COPY reads or writes files (download the result instead)",
    "COPY_DATABASE": "COPY reads or writes files",
    "EXPORT": "EXPORT DATABASE writes files (download the result instead)",
    "ATTACH": "ATTACH opens other databases",
    "DETACH": "DETACH closes databases",
    "LOAD": "INSTALL and LOAD add extensions",
    "UPDATE_EXTENSIONS": "UPDATE EXTENSIONS adds extensions",
    "SET": "SET, RESET, USE and SET VARIABLE change settings",
    "PRAGMA": "PRAGMA changes or reads settings",
    "CALL": "CALL and CHECKPOINT run procedures",
    "TRANSACTION": "transaction statements are managed by the sandbox",
    "VACUUM": "VACUUM and ANALYZE change storage",
    "PREPARE": "prepared statements are not supported",
    "EXECUTE": "prepared statements are not supported",
    "MULTI": (
        "this statement expands into several; for PIVOT, name the values: "
        "PIVOT accounts ON user_type IN ('admin', 'learner') USING count(*)"
    ),
}
_EXPLAIN = re.compile(r"\s*EXPLAIN\s+(?:ANALY[SZ]E\s+)?(?P<inner>.*)", re.IGNORECASE | re.DOTALL)
_MISSING_TABLE = re.compile(r"Table with name (.+?) does not exist")
_LOOKS_LIKE_PATH = re.compile(r"[/\\:.~*]")
_HOW_TO_NARROW = (
    "narrow it: filter with WHERE, aggregate with GROUP BY, avoid joins without a condition, "
    "or add LIMIT"
)


def _refuse(reason: str) -> QueryRefused:
    return QueryRefused(f"query refused: {reason}")


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _statement_kind(stmt: Any) -> str:
    try:
        return str(stmt.type).rsplit(".", 1)[-1]
    except ValueError:
        # The parser knew the statement but the Python client has no name for its type.
        return "UNKNOWN"


def check_query(con: duckdb.DuckDBPyConnection, query: str) -> str:
    """Return `query` stripped when it is one read-only SELECT; raise QueryRefused otherwise."""
    text = query.strip()
    if not text:
        raise _refuse("the query is empty; write one SELECT statement")
    if len(text) > MAX_QUERY_CHARS:
        raise _refuse(f"the query is longer than {MAX_QUERY_CHARS:,} characters")
    try:
        statements = con.extract_statements(text)
    except duckdb.ParserException as exc:
        raise QueryRefused(f"query is not valid SQL: {exc}") from None
    except (duckdb.Error, ValueError):
        raise _refuse("only a single SELECT statement may run in the sandbox") from None
    if not statements:
        raise _refuse("there is no statement in it (only comments?); write one SELECT")
    if len(statements) > 1:
        raise _refuse(
            f"it holds {len(statements)} statements; the sandbox runs one SELECT at a time"
        )
    kind = _statement_kind(statements[0])
    if kind == "SELECT":
        return text
    if kind == "EXPLAIN":
        match = _EXPLAIN.fullmatch(statements[0].query)
        if match is None:
            raise _refuse("EXPLAIN is allowed only as EXPLAIN [ANALYZE] SELECT ...")
        try:
            inner = con.extract_statements(match.group("inner"))
        except (duckdb.Error, ValueError):
            inner = []
        if len(inner) != 1 or _statement_kind(inner[0]) != "SELECT":
            raise _refuse("EXPLAIN is allowed only of a SELECT statement")
        return text
    why = _WHY_NOT.get(kind, "only a single SELECT statement may run in the sandbox")
    raise _refuse(
        f"{why}; the sandbox is read-only and runs only SELECT (or WITH / VALUES / FROM / TABLE) "
        "queries on the tables " + ", ".join(SANDBOX_TABLES)
    )


def _explain_error(exc: Exception, timed_out: bool, timeout_s: float, memory: str) -> QueryRefused:
    # Errors raised while Arrow streams the result arrive as Arrow errors carrying DuckDB's text.
    text = str(exc)
    if timed_out or isinstance(exc, duckdb.InterruptException) or "INTERRUPT Error" in text:
        return QueryRefused(
            f"query stopped after {timeout_s:g} s (the time limit); {_HOW_TO_NARROW}"
        )
    if isinstance(exc, duckdb.PermissionException) or text.startswith("Permission Error"):
        detail = _first_line(exc).removeprefix("Permission Error: ")
        return _refuse(
            "the sandbox cannot read or write files, reach the network or load extensions "
            f"({detail}); query the tables " + ", ".join(SANDBOX_TABLES)
        )
    if isinstance(exc, duckdb.OutOfMemoryException) or "Out of Memory Error" in text:
        return QueryRefused(
            f"query needed more than the sandbox's {memory} of memory; {_HOW_TO_NARROW}"
        )
    if "configuration has been locked" in text:
        return _refuse("settings cannot be changed in the sandbox")
    message = str(exc).strip()
    missing = _MISSING_TABLE.search(message)
    if missing and _LOOKS_LIKE_PATH.search(missing.group(1)):
        # `FROM 'file.csv'` would read a file; with external access off DuckDB only says the
        # table does not exist.
        return _refuse(
            "the sandbox cannot read or write files, reach the network or load extensions "
            f"({missing.group(1)} is not one of its tables); query the tables "
            + ", ".join(SANDBOX_TABLES)
        )
    if isinstance(exc, duckdb.CatalogException) and "does not exist" in message:
        message += "\nThe sandbox has the tables: " + ", ".join(SANDBOX_TABLES)
    return QueryRefused(f"query failed: {message}")


def _is_nested(dtype: pa.DataType) -> bool:
    return pa.types.is_nested(dtype) or pa.types.is_map(dtype)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date | dtime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


@dataclass(frozen=True)
class QueryResult:
    """The rows a sandbox query returned, capped at `max_rows`."""

    table: pa.Table = field(repr=False)
    truncated: bool
    elapsed: float
    max_rows: int

    @property
    def row_count(self) -> int:
        """Return the number of rows kept (at most `max_rows`)."""
        return self.table.num_rows

    @property
    def columns(self) -> list[str]:
        """Return the result's column names."""
        return list(self.table.column_names)

    @property
    def frame(self) -> pd.DataFrame:
        """Return the rows as a pandas DataFrame."""
        return self.table.to_pandas()

    def note(self) -> str:
        """Return a one-line summary: rows, time and whether the result was cut at the cap."""
        text = f"{self.row_count:,} rows in {self.elapsed:.2f} s"
        if self.truncated:
            text += (
                f"; cut at {self.max_rows:,} rows, the sandbox's limit: add WHERE, GROUP BY or "
                "LIMIT to see the rest"
            )
        return text

    def to_csv(self, *, spreadsheet_safe: bool = False) -> str:
        """Return the rows as CSV text (nested values as JSON).

        With `spreadsheet_safe`, text cells starting with =, +, -, @, tab or CR get a leading
        apostrophe so that a spreadsheet never runs them as formulas.
        """
        frame = self.frame
        for name, dtype in zip(self.table.column_names, self.table.schema.types, strict=True):
            if _is_nested(dtype):
                frame[name] = [
                    None if v is None else json.dumps(v, default=_json_value)
                    for v in self.table.column(name).to_pylist()
                ]
        if spreadsheet_safe:
            for name in frame.columns:
                if frame[name].dtype == object or pd.api.types.is_string_dtype(frame[name]):
                    frame[name] = frame[name].map(_neutralise)
        return frame.to_csv(index=False, lineterminator="\n")

    def to_json(self) -> str:
        """Return a JSON object: columns, rows (an object each), row_count, truncated, elapsed_s."""
        payload = {
            "columns": [
                {"name": n, "type": str(t)}
                for n, t in zip(self.table.column_names, self.table.schema.types, strict=True)
            ],
            "rows": self.table.to_pylist(),
            "row_count": self.row_count,
            "truncated": self.truncated,
            "max_rows": self.max_rows,
            "elapsed_s": round(self.elapsed, 3),
        }
        return json.dumps(payload, default=_json_value, ensure_ascii=False) + "\n"


def _neutralise(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _threads() -> int:
    # Up to four cores: enough for ten million rows inside the time limit; a runaway query is
    # stopped by the time limit, not by starving it of cores.
    return max(1, min(4, os.cpu_count() or 1))


def _columns(cur: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in cur.execute(sql("sandbox_columns"), [table]).fetchall()]


class Sandbox:
    """An in-memory, locked-down DuckDB instance holding the tables a reviewer may query."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, snapshot_id: int | None, memory: str
    ) -> None:
        self._con = con
        self._lock = threading.Lock()
        self.snapshot_id = snapshot_id
        self.memory_limit = memory

    @staticmethod
    def _connect() -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(":memory:", config={**_STARTUP_CONFIG, "threads": _threads()})
        # A long copy must not draw a progress bar on the terminal of the `sql` command.
        con.execute("SET enable_progress_bar = false")
        return con

    @classmethod
    def build(
        cls,
        store: Store,
        snapshot_id: int | None = None,
        *,
        tables: Iterable[str] = SANDBOX_TABLES,
    ) -> Sandbox:
        """Return a sandbox fed with `snapshot_id` (default: the latest snapshot) and locked down.

        `tables` limits which of SANDBOX_TABLES are copied in (the others are absent, not empty).
        With no snapshot loaded yet, the per-snapshot tables are there but empty.
        """
        chosen = set(tables)
        wanted = [t for t in SANDBOX_TABLES if t in chosen]
        if snapshot_id is not None or not store.is_empty():
            snapshot_id = store.snapshot(snapshot_id).snapshot_id
        con = cls._connect()
        try:
            con.execute(f"CREATE SCHEMA {STORAGE_SCHEMA}")
            with store.read() as src:
                views = {table: cls._feed(src, con, table, snapshot_id) for table in wanted}
            for table, select in views.items():
                if table == "activity" and "accounts" in views:
                    select = _ACTIVITY_WITH_KEY.format(rows=select)
                con.execute(f"CREATE VIEW main.{quote_ident(table)} AS {select}")
            memory = cls._lock_down(con)
        except BaseException:
            con.close()
            raise
        return cls(con, snapshot_id, memory)

    @staticmethod
    def _feed(
        src: duckdb.DuckDBPyConnection,
        con: duckdb.DuckDBPyConnection,
        table: str,
        snapshot_id: int | None,
    ) -> str:
        """Copy one table's rows into the sandbox; return the SELECT its view shows."""
        columns = _columns(src, table)
        exported = ", ".join(quote_ident(n) for n, _ in columns)
        query = f"SELECT {exported} FROM {quote_ident(table)}"
        params: list[Any] = []
        if table in PER_SNAPSHOT:
            query += " WHERE snapshot_id = ?"
            params = [snapshot_id]
        stored = f"{STORAGE_SCHEMA}.{quote_ident(table)}"
        reader = src.sql(query, params=params).to_arrow_reader(FEED_BATCH_ROWS)
        # Inserted a few batches at a time: all threads scan a table of several batches, and
        # holding only a chunk in Arrow keeps the peak memory low.
        chunk: list[pa.RecordBatch] = []
        created = False
        for batch in [*_batches(reader), None]:
            if batch is not None:
                chunk.append(batch)
            if batch is None or len(chunk) * FEED_BATCH_ROWS >= FEED_CHUNK_ROWS:
                con.register("sandbox_feed", pa.Table.from_batches(chunk, schema=reader.schema))
                try:
                    verb = f"INSERT INTO {stored}" if created else f"CREATE TABLE {stored} AS"
                    con.execute(f"{verb} SELECT * FROM sandbox_feed")
                finally:
                    con.unregister("sandbox_feed")
                created = True
                chunk = []
        # The view gives every column the product's own type (Arrow carries JSON as text).
        shown = ", ".join(f"CAST({quote_ident(n)} AS {t}) AS {quote_ident(n)}" for n, t in columns)
        return f"SELECT {shown} FROM {stored}"

    @staticmethod
    def _lock_down(con: duckdb.DuckDBPyConnection) -> str:
        held = int(
            con.execute(
                "SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory()"
            ).fetchone()[0]
        )
        limit_mib = math.ceil((held + WORK_MEMORY_BYTES) / 1024**2)
        con.execute(f"SET memory_limit = '{limit_mib}MiB'")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        return f"{limit_mib / 1024:.1f} GiB"

    # -- queries --------------------------------------------------------------------------

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            return self._con.cursor()

    def run(
        self,
        query: str,
        *,
        max_rows: int = DEFAULT_MAX_ROWS,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> QueryResult:
        """Run one SELECT and return at most `max_rows` rows; raise QueryRefused otherwise.

        The query runs in its own cursor and transaction (always rolled back) and is interrupted
        when it runs past `timeout_s` seconds.
        """
        if max_rows < 0:
            raise ValueError("max_rows must be 0 or more")
        cur = self._cursor()
        try:
            text = check_query(cur, query)
            started = time.monotonic()
            fired = threading.Event()

            def stop() -> None:
                fired.set()
                cur.interrupt()

            timer = threading.Timer(timeout_s, stop)
            timer.daemon = True
            cur.execute("BEGIN TRANSACTION")
            timer.start()
            try:
                batches, truncated = self._fetch(cur, text, max_rows)
            except (duckdb.Error, pa.ArrowException, OSError) as exc:
                refused = _explain_error(exc, fired.is_set(), timeout_s, self.memory_limit)
                raise refused from None
            finally:
                timer.cancel()
            elapsed = time.monotonic() - started
        finally:
            self._close(cur)
        table = batches.slice(0, max_rows) if truncated else batches
        return QueryResult(table=table, truncated=truncated, elapsed=elapsed, max_rows=max_rows)

    @staticmethod
    def _fetch(cur: duckdb.DuckDBPyConnection, text: str, max_rows: int) -> tuple[pa.Table, bool]:
        reader = cur.sql(text).to_arrow_reader(RESULT_BATCH_ROWS)
        kept: list[pa.RecordBatch] = []
        count = 0
        try:
            # One row past the cap is enough to know the result was cut.
            for batch in _batches(reader):
                kept.append(batch)
                count += batch.num_rows
                if count > max_rows:
                    break
        finally:
            # Stops the rest of the query, so that the rollback can run on this cursor.
            reader.close()
        table = pa.Table.from_batches(kept, schema=reader.schema)
        return table, count > max_rows

    @staticmethod
    def _close(cur: duckdb.DuckDBPyConnection) -> None:
        # Roll back whatever the query did; a failed or interrupted query has nothing to undo.
        with contextlib.suppress(duckdb.Error):
            cur.execute("ROLLBACK")
        cur.close()

    def schema(self) -> list[tuple[str, str, str]]:
        """Return (table, column, type) of every column the sandbox holds."""
        cur = self._cursor()
        try:
            return _schema_rows(cur)
        finally:
            cur.close()

    def close(self) -> None:
        """Release the sandbox's memory."""
        self._con.close()


def _batches(reader: pa.RecordBatchReader) -> Iterator[pa.RecordBatch]:
    while True:
        try:
            yield reader.read_next_batch()
        except StopIteration:
            return


def _schema_rows(cur: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for table in SANDBOX_TABLES:
        out.extend((table, name, dtype) for name, dtype in _columns(cur, table))
    return out


def run_query(
    store: Store,
    query: str,
    *,
    snapshot_id: int | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> QueryResult:
    """Build a sandbox on `store` and run `query` in it (the `sql` command)."""
    # Refuse a query that is not a single SELECT before copying any data.
    probe = Sandbox._connect()
    try:
        check_query(probe, query)
    finally:
        probe.close()
    # A one-off query copies in only the tables it names: a count of accounts should not wait
    # for ten million activity rows. (A table it does not name is absent, never empty.)
    named = [t for t in SANDBOX_TABLES if re.search(rf"\b{t}\b", query, re.IGNORECASE)]
    if "activity" in named and "accounts" not in named:
        named.append("accounts")  # activity's user_key comes from the accounts
    sandbox = Sandbox.build(store, snapshot_id, tables=named)
    try:
        return sandbox.run(query, max_rows=max_rows, timeout_s=timeout_s)
    finally:
        sandbox.close()


def sandbox_schema(store: Store) -> list[tuple[str, str, str]]:
    """Return (table, column, type) of every column a sandbox query can read, in table order."""
    with store.read() as cur:
        rows = _schema_rows(cur)
    at = rows.index(("activity", "account_no", "INTEGER")) + 1
    return [*rows[:at], ACTIVITY_KEY_COLUMN, *rows[at:]]


def example_queries() -> list[tuple[str, str]]:
    """Return the Explore page's example queries as (title, SQL); the title is the first line."""
    out = []
    for name in EXAMPLES:
        text = sql(name).strip()
        first, _, body = text.partition("\n")
        out.append((first.removeprefix("--").strip(), body.strip()))
    return out
