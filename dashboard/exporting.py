"""The files of SPEC section 5: deactivation and undo files for Batch upload, the review sheet,
the pre-flight check that guards them, and the export audit log.

A wrong row in the deactivation file locks a real person out, so every file is read back and
checked against the snapshot before anything is written: the check parses the bytes that would
be uploaded, not the rows they were made from.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from dashboard.errors import ExportBlocked, InputRefused
from dashboard.review import ReviewResult, open_review, review
from dashboard.rules import ReviewRules
from dashboard.store import Store, sql

BOM = b"\xef\xbb\xbf"
CRLF = "\r\n"
MAX_LISTED = 10

# Normalised titles (lower-case letters and digits only) recognised in a Batch upload template.
IDENTIFIER_TITLES = {
    "email": ("email", "emailaddress", "useremail", "loginemail"),
    "username": ("username", "login", "userlogin", "loginname"),
}
STATUS_TITLES = (
    "enabled",
    "loginenabled",
    "status",
    "accountstatus",
    "active",
    "userenabled",
    "accountenabled",
    "isenabled",
)
# Spellings of (disable, enable) a template's status column may show, by their lower-case form.
BOOLEAN_PAIRS = (
    ("false", "true"),
    ("no", "yes"),
    ("0", "1"),
    ("disabled", "enabled"),
    ("inactive", "active"),
    ("n", "y"),
)


def _norm(title: str) -> str:
    return "".join(ch for ch in title.lower() if ch.isalnum())


def _cell(value: str, sep: str) -> str:
    """Return `value` as one CSV cell, quoted only where RFC 4180 needs it."""
    if sep in value or '"' in value or "\r" in value or "\n" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


@dataclass(frozen=True)
class ExportProfile:
    """How the Batch upload file is written: column titles, order, separator and status values."""

    identifier_title: str = "email"
    status_title: str = "enabled"
    identifier_field: str = "email"
    separator: str = ","
    status_first: bool = False
    false_value: str = "false"
    true_value: str = "true"
    source: str = "default"

    @property
    def header(self) -> str:
        """Return the header line (without CRLF), titles quoted only where needed."""
        cells = [
            _cell(self.identifier_title, self.separator),
            _cell(self.status_title, self.separator),
        ]
        if self.status_first:
            cells.reverse()
        return self.separator.join(cells)

    def to_json(self) -> dict[str, Any]:
        """Return the profile as a JSON-able dict (recorded with the export)."""
        return {
            "source": self.source,
            "identifier": self.identifier_title,
            "status": self.status_title,
            "separator": self.separator,
            "order": ["status", "identifier"] if self.status_first else ["identifier", "status"],
            "values": [self.false_value, self.true_value],
        }


def default_profile(identity: str = "email") -> ExportProfile:
    """Return the default profile: `email,enabled` (`username,enabled` on username portals)."""
    field_ = "username" if identity == "username" else "email"
    return ExportProfile(identifier_title=field_, identifier_field=field_)


def _decode_template(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if data.startswith(BOM):
        data = data[len(BOM) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            raise InputRefused(
                name, "the template is not text", hint="Give the example file exactly as downloaded"
            ) from None


def _spelling(sample: str, pair: tuple[str, str]) -> tuple[str, str]:
    if sample.isupper():
        return pair[0].upper(), pair[1].upper()
    if sample[:1].isupper():
        return pair[0].capitalize(), pair[1].capitalize()
    return pair


def parse_template(
    data: bytes, *, name: str = "template", identity: str = "email"
) -> ExportProfile:
    """Return the profile of the portal's Batch upload example file.

    Keeps the template's separator, the identifier column (`email`, or `username` on username
    portals) and the enabled/status column under their titles as written and in the template's
    order, and the template's true/false spelling when a data row shows one. Refuses a template
    without those columns.
    """
    text = _decode_template(data, name)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InputRefused(name, "the template is empty", row=1, hint="Download the example again")
    wanted = "username" if identity == "username" else "email"
    best: tuple[int, str, list[str]] | None = None
    for sep in (",", ";", "\t", "|"):
        header = next(csv.reader([lines[0]], delimiter=sep))
        if best is None or len(header) > best[0]:
            best = (len(header), sep, header)
    assert best is not None
    _, sep, header = best
    titles = [_norm(t) for t in header]
    id_cols = [i for i, t in enumerate(titles) if t in IDENTIFIER_TITLES[wanted]]
    status_cols = [i for i, t in enumerate(titles) if t in STATUS_TITLES]
    if len(id_cols) != 1 or len(status_cols) != 1:
        what = f"an {wanted} column" if wanted == "email" else "a username column"
        problem = "no" if not id_cols or not status_cols else "more than one"
        missing = what if len(id_cols) != 1 else "an enabled/status column"
        raise InputRefused(
            name,
            f"the template has {problem} {missing.split(' ', 1)[1]} (columns: "
            f"{', '.join(repr(h) for h in header)})",
            row=1,
            hint="Give the Batch upload example file downloaded from Users > Batch Upload, "
            f"which has {missing}",
        )
    id_col, status_col = id_cols[0], status_cols[0]
    false_value, true_value = "false", "true"
    for row in csv.reader(lines[1:], delimiter=sep):
        if len(row) > status_col and row[status_col].strip():
            sample = row[status_col].strip()
            pair = next((p for p in BOOLEAN_PAIRS if sample.lower() in p), None)
            if pair is not None:
                false_value, true_value = _spelling(sample, pair)
                break
    return ExportProfile(
        identifier_title=header[id_col],
        status_title=header[status_col],
        identifier_field=wanted,
        separator=sep,
        status_first=status_col < id_col,
        false_value=false_value,
        true_value=true_value,
        source=name,
    )


# -- pre-flight --------------------------------------------------------------------------------

PROBLEMS = {
    "empty": "rows without an identifier",
    "line_break": "identifiers with a line break inside",
    "formula": "cells starting with a formula character (= + - @ tab CR); disable these "
    "accounts by hand in LearnUpon and keep them on the Review page",
    "status": "rows with another status value",
    "duplicate": "accounts listed more than once",
    "missing": "accounts not in the snapshot",
    "ambiguous": "identifiers matching several accounts",
    "disabled": "accounts already disabled",
    "protected": "protected accounts",
    "not_flagged": "accounts the rules do not flag",
}


def _listed(problems: list[str], what: str, rows: list[str]) -> None:
    if rows:
        more = f" (and {len(rows) - MAX_LISTED:,} more)" if len(rows) > MAX_LISTED else ""
        problems.append(f"{what}: {'; '.join(rows[:MAX_LISTED])}{more}")


@dataclass(frozen=True)
class _Parsed:
    """An upload file read back: problems found in the bytes alone, and each data row's
    identifier and status value (Arrow strings; data row i is spreadsheet row i + 2)."""

    problems: list[str]
    identifiers: pa.Array
    statuses: pa.Array

    @property
    def rows(self) -> int:
        return len(self.identifiers)


_NO_ROWS = pa.array([], pa.string())


def _two_columns(text: str, sep: str) -> tuple[list[str], pa.Array, pa.Array] | None:
    """Return (header cells, first column, second column) of a plain two-column CSV text, or None.

    Plain: no quote, no lone CR or LF, no empty line, every line ends with CRLF and holds exactly
    one separator. Python's csv module reads such a text exactly as Arrow's reader does with
    quoting off; Arrow reads it in C++ straight into the arrays the check needs, with no list per
    row. Anything else, or any line Arrow will not read as two fields, goes through the module.
    """
    crlf = text.count(CRLF)
    if (
        '"' in text
        or CRLF + CRLF in text  # Arrow would read an empty line as a row of empty cells
        or not text.endswith(CRLF)
        or text.count("\r") != crlf
        or text.count("\n") != crlf
    ):
        return None
    head, _, body = text.partition(CRLF)
    if head.count(sep) != 1:
        return None
    if not body:
        return head.split(sep), _NO_ROWS, _NO_ROWS
    try:
        table = pacsv.read_csv(
            io.BytesIO(body.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=["first", "second"]),
            parse_options=pacsv.ParseOptions(delimiter=sep, quote_char=False),
            convert_options=pacsv.ConvertOptions(
                column_types={"first": pa.string(), "second": pa.string()},
                strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:
        return None  # a line without exactly one separator
    return head.split(sep), table["first"].combine_chunks(), table["second"].combine_chunks()


def _parse_upload(data: bytes, profile: ExportProfile, file: str) -> _Parsed:
    problems: list[str] = []
    if data.startswith(BOM):
        problems.append(f"{file}: starts with a byte-order mark; Batch upload wants plain UTF-8")
        data = data[len(BOM) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(f"{file}: byte {exc.start} is not UTF-8; the file cannot be uploaded")
        return _Parsed(problems, _NO_ROWS, _NO_ROWS)
    if not text.endswith(CRLF) or text.count("\n") != text.count(CRLF):
        problems.append(f"{file}: every line must end with CRLF, the last one included")
    sep = profile.separator
    split = _two_columns(text, sep)
    records = (
        [] if split is not None else list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    )
    head_cells = split[0] if split is not None else (records[0] if records else [])
    header = sep.join(_cell(c, sep) for c in head_cells)
    if header != profile.header:
        problems.append(
            f"{file}: header {header!r} does not match the profile's {profile.header!r}"
        )
        return _Parsed(problems, _NO_ROWS, _NO_ROWS)
    if split is not None:
        first, second = split[1], split[2]
    else:
        body = records[1:]
        if body and set(map(len, body)) != {2}:
            bad_shape = [f"row {n}" for n, r in enumerate(body, start=2) if len(r) != 2]
            _listed(problems, f"{file}: rows without exactly 2 fields", bad_shape)
            return _Parsed(problems, _NO_ROWS, _NO_ROWS)
        first = pa.array(list(map(itemgetter(0), body)), pa.string())
        second = pa.array(list(map(itemgetter(1), body)), pa.string())
    identifiers, statuses = (second, first) if profile.status_first else (first, second)
    return _Parsed(problems, identifiers, statuses)


def preflight(
    store: Store,
    rules: ReviewRules,
    data: bytes,
    profile: ExportProfile,
    *,
    snapshot_id: int | None = None,
    as_of: date | None = None,
    value: str | None = None,
    file: str = "deactivation file",
) -> list[str]:
    """Return why `data` must not be uploaded (an empty list when it passes the pre-flight check).

    Checks: UTF-8 without BOM; CRLF line ends; the header matches the profile; every row has two
    fields, an identifier and the expected status (`value`, default the profile's false spelling);
    no cell starts with a formula character; each identifier appears once; and each row's account
    exists in the snapshot, is enabled, and is flagged by `rules` (not protected, not active).
    """
    parsed = _parse_upload(data, profile, file)
    return parsed.problems + _check_rows(
        store,
        rules,
        parsed,
        profile,
        snapshot_id=snapshot_id,
        as_of=as_of,
        value=profile.false_value if value is None else value,
        file=file,
    )


def _check_rows(
    store: Store,
    rules: ReviewRules,
    parsed: _Parsed,
    profile: ExportProfile,
    *,
    snapshot_id: int | None,
    as_of: date | None,
    value: str,
    file: str,
) -> list[str]:
    if not parsed.rows:
        return []
    rows = pa.table(
        {
            "row_no": pa.array(np.arange(2, parsed.rows + 2, dtype=np.int64)),
            "identifier": parsed.identifiers,
            "status": parsed.statuses,
        }
    )
    by_username = profile.identifier_field == "username"
    with open_review(store, rules, snapshot_id, as_of) as scope:
        scope.cur.register("preflight_rows", rows)
        matched, refused, distinct = scope.run(
            "export_preflight_summary", by_username=by_username, value=value
        ).fetchone()
        n = parsed.rows
        if matched == n and refused == 0 and distinct == n:
            return []
        bad = scope.run("export_preflight", by_username=by_username, value=value).fetchall()
    found: dict[str, list[str]] = {k: [] for k in PROBLEMS}
    for problem, row_no, ident, status, accounts, times, category, protected_by, reason in bad:
        where = f"row {row_no} {ident!r}"
        found[problem].append(
            {
                "formula": f"row {row_no} {ident!r}/{status!r}",
                "status": f"{where}: {status!r}, expected {value!r}",
                "duplicate": f"{where} ({times} times)",
                "ambiguous": f"{where} ({accounts} accounts)",
                "protected": f"{where} ({protected_by}): {reason}",
                "not_flagged": f"{where} is {category}",
            }.get(problem, where)
        )
    problems: list[str] = []
    for problem, what in PROBLEMS.items():
        _listed(problems, f"{file}: {what}", found[problem])
    return problems


# -- building the files -----------------------------------------------------------------------


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class ExportBundle:
    """The bytes of one export, the review they came from and the pre-flight result."""

    review: ReviewResult
    profile: ExportProfile
    rows: int
    deactivation: bytes
    undo: bytes
    sheet: bytes | None
    problems: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """Return True when the pre-flight check passed."""
        return not self.problems

    def names(self) -> dict[str, str]:
        """Return suggested file names per kind (deactivation, undo, sheet)."""
        stem = f"snapshot{self.review.snapshot.snapshot_id}_cutoff{self.review.cutoff:%Y%m%d}"
        return {
            "deactivation": f"deactivate_{stem}.csv",
            "undo": f"undo_{stem}.csv",
            "sheet": f"review_sheet_{stem}.csv",
        }

    def files(self) -> dict[str, bytes]:
        """Return the bytes per kind (the sheet only when it was built)."""
        out = {"deactivation": self.deactivation, "undo": self.undo}
        if self.sheet is not None:
            out["sheet"] = self.sheet
        return out


def build_export(
    store: Store,
    rules: ReviewRules,
    *,
    snapshot_id: int | None = None,
    as_of: date | None = None,
    seat_limit: int | None = None,
    template: bytes | None = None,
    template_name: str = "template",
    include_sheet: bool = True,
) -> ExportBundle:
    """Return the deactivation, undo and review-sheet bytes of a review, pre-flight checked.

    Nothing is written; look at `.ok` / `.problems` before offering the files. The same snapshot,
    rules and decisions always give the same bytes.
    """
    # holding one connection open makes the nested opens below share the database instance
    with store.read():
        result = review(store, rules, snapshot_id=snapshot_id, as_of=as_of, seat_limit=seat_limit)
        snap = result.snapshot
        profile = (
            default_profile(snap.identity)
            if template is None
            else parse_template(template, name=template_name, identity=snap.identity)
        )
        files = _write_bodies(store, rules, result, profile, include_sheet)
        deactivation = (profile.header + CRLF).encode("utf-8") + files["deactivation"]
        common = {"snapshot_id": snap.snapshot_id, "as_of": result.as_of}
        parsed = _parse_upload(deactivation, profile, "deactivation file")
        problems = parsed.problems + _check_rows(
            store,
            rules,
            parsed,
            profile,
            value=profile.false_value,
            file="deactivation file",
            **common,
        )
    rows = parsed.rows
    undo, flip_problems = _flip(deactivation, profile, rows)
    problems += flip_problems
    if not problems and rows != result.flagged:
        problems.append(f"the file has {rows:,} rows but the review flags {result.flagged:,}")
    return ExportBundle(
        review=result,
        profile=profile,
        rows=rows,
        deactivation=deactivation,
        undo=undo,
        sheet=BOM + files["sheet"] if include_sheet else None,
        problems=tuple(dict.fromkeys(problems)),
    )


def _flip(deactivation: bytes, profile: ExportProfile, rows: int) -> tuple[bytes, list[str]]:
    """Return the undo file (the deactivation file with every status value flipped) and problems.

    A byte-level replacement of the status cell at each line's end (or start, for a status-first
    profile). It is exact because the checked file has no line break inside a cell; the count of
    replacements must equal the row count, or the undo file is refused.
    """
    sep = profile.separator
    off, on = _cell(profile.false_value, sep), _cell(profile.true_value, sep)
    head, _, body = deactivation.partition(CRLF.encode())
    if profile.status_first:
        old, new, body = (CRLF + off + sep).encode(), (CRLF + on + sep).encode(), b"\r\n" + body
    else:
        old, new = (sep + off + CRLF).encode(), (sep + on + CRLF).encode()
    problems = [] if body.count(old) == rows else ["undo file: could not flip every row's status"]
    flipped = body.replace(old, new)
    return head + CRLF.encode() + (flipped[2:] if profile.status_first else flipped), problems


def _write_bodies(
    store: Store,
    rules: ReviewRules,
    result: ReviewResult,
    profile: ExportProfile,
    include_sheet: bool,
) -> dict[str, bytes]:
    """Return the deactivation body (and the sheet) as DuckDB writes them, via a private folder."""
    by_username = profile.identifier_field == "username"
    out: dict[str, bytes] = {}
    with (
        tempfile.TemporaryDirectory(prefix="lu-seats-export-") as tmp,
        open_review(store, rules, result.snapshot.snapshot_id, result.as_of) as scope,
    ):
        path = Path(tmp) / "deactivation.csv"
        scope.run(
            "export_upload",
            path=str(path),
            by_username=by_username,
            sep=profile.separator,
            status_first=profile.status_first,
            value=profile.false_value,
        )
        out["deactivation"] = path.read_bytes()
        if include_sheet:
            path = Path(tmp) / "sheet.csv"
            scope.run("export_sheet", path=str(path), by_username=by_username)
            out["sheet"] = path.read_bytes()
    return out


# -- audit log --------------------------------------------------------------------------------


def _counts(bundle: ExportBundle) -> dict[str, Any]:
    return {**bundle.review.counts, "flagged": bundle.review.flagged, "rows": bundle.rows}


def _rules_record(bundle: ExportBundle) -> dict[str, Any]:
    return {
        **bundle.review.rules.to_json(),
        "as_of": bundle.review.as_of.isoformat(),
        "resolved_cutoff": bundle.review.cutoff.isoformat(),
        "profile": bundle.profile.to_json(),
    }


def _file_entries(bundle: ExportBundle, names: dict[str, str]) -> list[dict[str, Any]]:
    data = bundle.files()
    return [
        {
            "name": names[kind],
            "kind": kind,
            "sha256": _sha256(data[kind]),
            "rows": bundle.rows,
        }
        for kind in ("deactivation", "undo", "sheet")
        if kind in names and kind in data
    ]


def record_export(
    store: Store,
    bundle: ExportBundle,
    *,
    actor: str,
    names: dict[str, str] | None = None,
) -> int:
    """Record `bundle` in the export audit log (refused when its pre-flight failed); return its id.

    `names` maps the kinds written (deactivation, undo, sheet) to file names; default: every file
    of the bundle under its suggested name.
    """
    if not bundle.ok:
        raise ExportBlocked(
            "export blocked by the pre-flight check: " + " | ".join(bundle.problems)
        )
    with store.write() as cur:
        return _insert_record(cur, bundle, actor, names or bundle.names())


def _insert_record(cur: Any, bundle: ExportBundle, actor: str, names: dict[str, str]) -> int:
    row = cur.execute(
        sql("export_record"),
        {
            "exported_at": datetime.now(UTC).replace(tzinfo=None),
            "snapshot_id": bundle.review.snapshot.snapshot_id,
            "rules": json.dumps(_rules_record(bundle), sort_keys=True),
            "counts": json.dumps(_counts(bundle), sort_keys=True),
            "files": json.dumps(_file_entries(bundle, names)),
            "actor": actor,
        },
    ).fetchone()
    return int(row[0])


def export_history(store: Store) -> list[dict[str, Any]]:
    """Return the export audit log, newest first (export_id, exported_at, snapshot_id, rules,
    counts, files, actor)."""
    with store.read() as cur:
        rows = cur.execute(sql("export_history")).fetchall()
    return [
        {
            "export_id": export_id,
            "exported_at": exported_at.isoformat(),
            "snapshot_id": snapshot_id,
            "rules": json.loads(rules),
            "counts": json.loads(counts),
            "files": json.loads(files),
            "actor": actor,
        }
        for export_id, exported_at, snapshot_id, rules, counts, files, actor in rows
    ]


# -- writing files ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportResult:
    """What `export_to_files` wrote and recorded."""

    export_id: int
    bundle: ExportBundle
    paths: dict[str, Path]

    def to_json(self) -> dict[str, Any]:
        """Return the `export` command's JSON object."""
        data = self.bundle.files()
        review_json = self.bundle.review.to_json()
        return {
            "export_id": self.export_id,
            "snapshot_id": review_json["snapshot_id"],
            "as_of": review_json["as_of"],
            "cutoff": review_json["cutoff"],
            "rows": self.bundle.rows,
            "categories": review_json["categories"],
            "flagged": review_json["flagged"],
            "profile": self.bundle.profile.to_json(),
            "preflight": "passed",
            "files": [
                {
                    "kind": kind,
                    "path": str(path),
                    "sha256": _sha256(data[kind]),
                    "rows": self.bundle.rows,
                }
                for kind, path in self.paths.items()
            ],
        }


def export_to_files(
    store: Store,
    rules: ReviewRules,
    *,
    snapshot_id: int | None,
    as_of: date | None,
    seat_limit: int | None,
    out: Path,
    undo_out: Path | None,
    sheet_out: Path | None,
    template: Path | None,
    actor: str,
) -> ExportResult:
    """Write the export files and record the audit entry; raise ExportBlocked and write nothing
    when the pre-flight check fails."""
    paths = {"deactivation": Path(out)}
    if undo_out is not None:
        paths["undo"] = Path(undo_out)
    if sheet_out is not None:
        paths["sheet"] = Path(sheet_out)
    resolved = [p.resolve() for p in paths.values()]
    if len(set(resolved)) != len(resolved):
        raise InputRefused(
            str(out),
            "two outputs name the same file",
            hint="Give --out, --undo-out and --sheet-out different paths",
        )
    template_bytes = None
    if template is not None:
        try:
            template_bytes = Path(template).read_bytes()
        except OSError as exc:
            raise InputRefused(
                Path(template).name,
                f"cannot read the template ({exc.strerror})",
                hint="Check the path",
            ) from None
    bundle = build_export(
        store,
        rules,
        snapshot_id=snapshot_id,
        as_of=as_of,
        seat_limit=seat_limit,
        template=template_bytes,
        template_name=Path(template).name if template is not None else "template",
        include_sheet=sheet_out is not None,
    )
    if not bundle.ok:
        raise ExportBlocked(
            "export blocked by the pre-flight check, nothing was written: "
            + " | ".join(bundle.problems)
        )
    data = bundle.files()
    staged: dict[str, Path] = {}
    try:
        for kind, path in paths.items():
            if not path.parent.is_dir():
                raise InputRefused(
                    str(path),
                    "its folder does not exist",
                    hint="Create the folder or pick another path",
                )
            tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
            tmp.write_bytes(data[kind])
            staged[kind] = tmp
        with store.write() as cur:
            export_id = _insert_record(cur, bundle, actor, {k: p.name for k, p in paths.items()})
            for kind, tmp in staged.items():
                os.replace(tmp, paths[kind])
    finally:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
    return ExportResult(export_id=export_id, bundle=bundle, paths=paths)
