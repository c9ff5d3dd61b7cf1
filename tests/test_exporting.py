"""The files of SPEC section 5, read back with Python's csv module, and the pre-flight check."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date
from pathlib import Path

import pytest

from dashboard.errors import ExportBlocked, InputRefused
from dashboard.exporting import (
    ExportProfile,
    _flip,
    _two_columns,
    build_export,
    default_profile,
    export_history,
    export_to_files,
    parse_template,
    preflight,
    record_export,
)
from dashboard.review import set_decision
from dashboard.rules import ReviewRules
from dashboard.store import Store
from tests.review_fixtures import account, add_snapshot

AS_OF = date(2026, 3, 31)
RULES = ReviewRules(cutoff=date(2026, 3, 1))


def _portal() -> list[dict]:
    """Flagged: Zoe, 'b,"q"', émile, Adam (in that insertion order); the rest are not."""
    return [
        account("Zoe@Example.com", last_sign_in_at="2025-11-02 10:00", first_name="Zoe"),
        account('b,"q"@example.com', last_name="=HYPERLINK(1)"),
        account(
            "émile@example.com", created_at=None, last_activity_at="2025-01-05", groups=["R&D"]
        ),
        account("Adam@example.com", last_sign_in_at="2025-12-24", groups=["Sales", "HR"]),
        account("boss@example.com", user_type="admin"),
        account("gone@example.com", enabled=False),
        account("busy@example.com", last_sign_in_at="2026-03-30"),
    ]


def _read(data: bytes, sep: str = ",") -> list[list[str]]:
    assert not data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=sep))


def _ends_every_line_with_crlf(data: bytes) -> bool:
    return data.endswith(b"\r\n") and data.count(b"\n") == data.count(b"\r\n")


def test_deactivation_file_is_the_default_profile_byte_for_byte(store: Store) -> None:
    add_snapshot(store, _portal(), as_of=AS_OF)
    bundle = build_export(store, RULES)
    assert bundle.ok, bundle.problems
    rows = _read(bundle.deactivation)
    assert rows[0] == ["email", "enabled"]
    emails = [r[0] for r in rows[1:]]
    assert emails == [
        "Adam@example.com",
        'b,"q"@example.com',
        "Zoe@Example.com",
        "émile@example.com",
    ]
    assert emails == sorted(emails, key=str.lower)
    assert {r[1] for r in rows[1:]} == {"false"}
    assert _ends_every_line_with_crlf(bundle.deactivation)
    assert b'\r\n"b,""q""@example.com",false\r\n' in bundle.deactivation
    assert b"\r\nAdam@example.com,false\r\n" in bundle.deactivation
    assert bundle.rows == 4 == bundle.review.flagged


def test_undo_file_re_enables_the_same_accounts(store: Store) -> None:
    add_snapshot(store, _portal(), as_of=AS_OF)
    bundle = build_export(store, RULES)
    off, on = _read(bundle.deactivation), _read(bundle.undo)
    assert on[0] == off[0]
    assert [r[0] for r in on] == [r[0] for r in off]
    assert {r[1] for r in on[1:]} == {"true"}
    assert _ends_every_line_with_crlf(bundle.undo)


def test_same_snapshot_and_rules_give_the_same_bytes(store: Store) -> None:
    add_snapshot(store, _portal(), as_of=AS_OF)
    first, second = build_export(store, RULES), build_export(store, RULES)
    assert first.files() == second.files()


def test_nothing_flagged_gives_a_header_only_file(store: Store) -> None:
    add_snapshot(store, [account("busy@example.com", last_sign_in_at="2026-03-30")], as_of=AS_OF)
    bundle = build_export(store, RULES)
    assert bundle.ok
    assert bundle.deactivation == b"email,enabled\r\n"
    assert bundle.undo == b"email,enabled\r\n"


def test_username_portals_write_the_username(store: Store) -> None:
    add_snapshot(
        store,
        [account(username="JDoe", email="j@example.com", user_key="jdoe")],
        identity="username",
        as_of=AS_OF,
    )
    bundle = build_export(store, RULES)
    assert bundle.deactivation == b"username,enabled\r\nJDoe,false\r\n"


def test_kept_accounts_leave_the_file(store: Store) -> None:
    add_snapshot(store, _portal(), as_of=AS_OF)
    set_decision(store, "zoe@example.com", "keep")
    rows = _read(build_export(store, RULES).deactivation)
    assert "Zoe@Example.com" not in [r[0] for r in rows]


# -- template profile ---------------------------------------------------------------------------


def test_template_titles_separator_order_and_spelling_are_kept(store: Store) -> None:
    add_snapshot(store, _portal(), as_of=AS_OF)
    template = (
        b"First Name;Account Status;E-mail Address;Password\r\nAnn;TRUE;ann@example.com;secret\r\n"
    )
    bundle = build_export(store, RULES, template=template, template_name="batch.csv")
    assert bundle.ok, bundle.problems
    rows = _read(bundle.deactivation, sep=";")
    assert rows[0] == ["Account Status", "E-mail Address"]
    assert [r[1] for r in rows[1:]] == [
        "Adam@example.com",
        'b,"q"@example.com',
        "Zoe@Example.com",
        "émile@example.com",
    ]
    assert {r[0] for r in rows[1:]} == {"FALSE"}
    assert {r[0] for r in _read(bundle.undo, sep=";")[1:]} == {"TRUE"}
    assert bundle.deactivation.startswith(
        b"Account Status;E-mail Address\r\nFALSE;Adam@example.com\r\n"
    )
    assert b"Password" not in bundle.deactivation
    assert _ends_every_line_with_crlf(bundle.deactivation)


@pytest.mark.parametrize(
    ("sample", "false_value", "true_value"),
    [
        ("TRUE", "FALSE", "TRUE"),
        ("True", "False", "True"),
        ("false", "false", "true"),
        ("Yes", "No", "Yes"),
        ("1", "0", "1"),
        ("ENABLED", "DISABLED", "ENABLED"),
        ("", "false", "true"),
    ],
)
def test_template_true_false_spelling(sample: str, false_value: str, true_value: str) -> None:
    profile = parse_template(f"email,enabled\r\nann@example.com,{sample}\r\n".encode())
    assert (profile.false_value, profile.true_value) == (false_value, true_value)


def test_template_with_bom_tabs_and_identifier_second() -> None:
    profile = parse_template(b"\xef\xbb\xbfenabled\tEmail\r\n")
    assert profile == ExportProfile(
        identifier_title="Email",
        status_title="enabled",
        separator="\t",
        status_first=True,
        source="template",
    )
    assert profile.header == "enabled\tEmail"


def test_template_on_a_username_portal_uses_its_username_column() -> None:
    profile = parse_template(b"email,username,enabled\r\n", identity="username")
    assert (profile.identifier_title, profile.identifier_field) == ("username", "username")


@pytest.mark.parametrize(
    ("template", "identity", "message"),
    [
        (b"first_name,enabled\r\n", "email", "no email column"),
        (b"email,first_name\r\n", "email", "no enabled/status column"),
        (b"email,enabled\r\n", "username", "no username column"),
        (b"email,Email Address,enabled\r\n", "email", "more than one email column"),
        (b"", "email", "empty"),
    ],
)
def test_template_without_the_columns_is_refused(
    template: bytes, identity: str, message: str
) -> None:
    with pytest.raises(InputRefused, match=message) as err:
        parse_template(template, name="batch.csv", identity=identity)
    assert err.value.file == "batch.csv"


# -- review sheet -----------------------------------------------------------------------------


def test_review_sheet_is_utf8_with_bom_formula_safe_and_keeps_empty_values_empty(
    store: Store,
) -> None:
    add_snapshot(store, _portal(), as_of=AS_OF)
    sheet = build_export(store, RULES).sheet
    assert sheet is not None and sheet.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(sheet.decode("utf-8-sig"), newline="")))
    header = rows[0]
    assert header[:6] == ["Email", "Username", "Name", "User type", "Groups", "Last activity (UTC)"]
    assert "Reason" in header and "Category" in header
    by_email = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    assert list(by_email) == [
        "Adam@example.com",
        'b,"q"@example.com',
        "Zoe@Example.com",
        "émile@example.com",
    ]
    quoted = by_email['b,"q"@example.com']
    assert quoted["Name"] == "'=HYPERLINK(1)"
    assert quoted["Username"] == "" and quoted["Last activity (UTC)"] == ""
    assert quoted["Reason"] == "never signed in, created 2024-01-01"
    assert by_email["Adam@example.com"]["Groups"] == "Sales; HR"
    assert by_email["émile@example.com"]["Reason"] == (
        "last activity 2025-01-05, before cutoff 2026-03-01"
    )
    assert by_email["émile@example.com"]["Category"] == "inactive"
    assert b',"",' not in sheet
    assert _ends_every_line_with_crlf(sheet)


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_review_sheet_neutralises_every_formula_start(store: Store, start: str) -> None:
    add_snapshot(store, [account("x@example.com", first_name=f"{start}cmd")], as_of=AS_OF)
    sheet = build_export(store, RULES).sheet
    assert sheet is not None
    rows = list(csv.reader(io.StringIO(sheet.decode("utf-8-sig"), newline="")))
    assert rows[1][2] == f"'{start}cmd"


# -- pre-flight -------------------------------------------------------------------------------


def _checked(store: Store, body: bytes, profile: ExportProfile | None = None) -> list[str]:
    return preflight(store, RULES, body, profile or default_profile())


def test_the_generated_file_passes_pre_flight(store: Store) -> None:
    add_snapshot(store, _portal(), as_of=AS_OF)
    bundle = build_export(store, RULES)
    assert _checked(store, bundle.deactivation) == []
    assert preflight(store, RULES, bundle.undo, default_profile(), value="true") == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"\xef\xbb\xbfemail,enabled\r\nAdam@example.com,false\r\n", "byte-order mark"),
        (b"email,enabled\r\nAdam@example.com,false\r\n\xff\xfe,false\r\n", "not UTF-8"),
        (b"email,enabled\nAdam@example.com,false\n", "CRLF"),
        (b"email,enabled\r\nAdam@example.com,false", "CRLF"),
        (b"Email,enabled\r\nAdam@example.com,false\r\n", "does not match the profile"),
        (b"email;enabled\r\nAdam@example.com;false\r\n", "does not match the profile"),
        (b"email,enabled\r\nAdam@example.com,false,x\r\n", "rows without exactly 2 fields"),
        (b"email,enabled\r\nAdam@example.com,true\r\n", "another status value"),
        (b"email,enabled\r\n,false\r\n", "rows without an identifier"),
        (b"email,enabled\r\n=Adam@example.com,false\r\n", "formula character"),
        (b"email,enabled\r\n@evil,false\r\n", "formula character"),
        (
            b"email,enabled\r\nAdam@example.com,false\r\nadam@example.com,false\r\n",
            "listed more than once",
        ),
        (b"email,enabled\r\nnobody@example.com,false\r\n", "not in the snapshot"),
        (b"email,enabled\r\ngone@example.com,false\r\n", "already disabled"),
        (b"email,enabled\r\nboss@example.com,false\r\n", "protected accounts"),
        (
            b"email,enabled\r\nbusy@example.com,false\r\n",
            "do not flag: row 2 'busy@example.com' is active",
        ),
        (b"email,enabled\r\nadam@example.com,false\r\n", "not in the snapshot"),
    ],
    ids=[
        "bom",
        "not_utf8",
        "lf_only",
        "last_line_without_crlf",
        "header_title",
        "header_separator",
        "field_count",
        "status_value",
        "empty_identifier",
        "formula_equals",
        "formula_at",
        "duplicate",
        "unknown_account",
        "disabled_account",
        "protected_account",
        "active_account",
        "e_mail_not_as_held",
    ],
)
def test_pre_flight_failure(store: Store, body: bytes, message: str) -> None:
    add_snapshot(store, _portal(), as_of=AS_OF)
    problems = _checked(store, body)
    assert any(message in p for p in problems), problems


def test_identifier_with_a_line_break_is_refused(store: Store) -> None:
    add_snapshot(store, _portal(), as_of=AS_OF)
    problems = _checked(store, b'email,enabled\r\n"Adam@example.com\r\nx",false\r\n')
    assert any("line break" in p for p in problems), problems


@pytest.mark.parametrize(
    ("profile", "deactivation", "undo"),
    [
        (
            default_profile(),
            b'email,enabled\r\n"a,false"@x.com,false\r\nb@x.com,false\r\n',
            b'email,enabled\r\n"a,false"@x.com,true\r\nb@x.com,true\r\n',
        ),
        (
            ExportProfile(identifier_title="E", status_title="S", status_first=True, separator=";"),
            b"S;E\r\nfalse;false;x@y.z\r\n",
            b"S;E\r\ntrue;false;x@y.z\r\n",
        ),
        (default_profile(), b"email,enabled\r\n", b"email,enabled\r\n"),
    ],
)
def test_undo_file_flips_only_the_status_cell(
    profile: ExportProfile, deactivation: bytes, undo: bytes
) -> None:
    rows = deactivation.count(b"\r\n") - 1
    assert _flip(deactivation, profile, rows) == (undo, [])


@pytest.mark.parametrize(
    ("text", "sep", "fast"),
    [
        ("email,enabled\r\na@x.com,false\r\nb@x.com,false\r\n", ",", True),
        ("email,enabled\r\n", ",", True),
        ('email,enabled\r\n"a,b"@x.com,false\r\n', ",", False),
        ("email,enabled\r\na@x.com,false", ",", False),
        ("email,enabled\na@x.com,false\n", ",", False),
        ("email,enabled\r\n\r\na@x.com,false\r\n", ",", False),
        ("email,enabled\r\na@x.com,false\r\n\r\n", ",", False),
        ("email,enabled\r\na@x.com\rb,false\r\n", ",", False),
        ("email,enabled\r\na@x.com,false,extra\r\nb@x.com\r\n", ",", False),
        ("email,enabled\r\na@x.com,false\r\nb@x.com\r\n", ",", False),
        ("email,enabled,x\r\na@x.com,false\r\n", ",", False),
        ("email,enabled\r\na@x.com,false\r\n,\r\n", ",", True),
        ("email;enabled\r\nNULL;N/A\r\n", ";", True),
        ("e\tS\r\n a@x.com \tfalse\r\n", "\t", True),
    ],
)
def test_fast_split_reads_like_the_csv_module_or_declines(text: str, sep: str, fast: bool) -> None:
    split = _two_columns(text, sep)
    assert (split is not None) == fast
    if split is not None:
        head, first, second = split
        rows = [head, *map(list, zip(first.to_pylist(), second.to_pylist(), strict=True))]
        assert rows == list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))


def test_undo_file_is_refused_when_a_row_cannot_be_flipped() -> None:
    flipped, problems = _flip(b"email,enabled\r\na@x.com,no\r\n", default_profile(), 1)
    assert problems == ["undo file: could not flip every row's status"]


def test_pre_flight_names_the_rule_that_protects(store: Store) -> None:
    add_snapshot(store, _portal(), as_of=AS_OF)
    problems = _checked(store, b"email,enabled\r\nboss@example.com,false\r\n")
    assert problems == [
        "deactivation file: protected accounts: row 2 'boss@example.com' (user_type): "
        "protected (user type admin): never signed in, created 2024-01-01"
    ]


def test_account_with_a_formula_e_mail_blocks_the_export_and_writes_nothing(
    store: Store, tmp_path: Path
) -> None:
    add_snapshot(store, [*_portal(), account("-dash@example.com")], as_of=AS_OF)
    before = store.table_checksums()
    out = tmp_path / "out.csv"
    with pytest.raises(ExportBlocked, match="formula character.*-dash@example.com"):
        export_to_files(
            store,
            RULES,
            snapshot_id=None,
            as_of=None,
            seat_limit=None,
            out=out,
            undo_out=tmp_path / "undo.csv",
            sheet_out=tmp_path / "sheet.csv",
            template=None,
            actor="cli",
        )
    assert list(tmp_path.iterdir()) == [tmp_path / "seats.duckdb"]
    assert store.table_checksums() == before
    bundle = build_export(store, RULES)
    with pytest.raises(ExportBlocked):
        record_export(store, bundle, actor="app")


# -- writing and the audit log ------------------------------------------------------------------


def test_export_writes_the_files_and_records_their_sha256(store: Store, tmp_path: Path) -> None:
    add_snapshot(store, _portal(), as_of=AS_OF)
    paths = {kind: tmp_path / f"{kind}.csv" for kind in ("deactivation", "undo", "sheet")}
    result = export_to_files(
        store,
        RULES,
        snapshot_id=1,
        as_of=None,
        seat_limit=None,
        out=paths["deactivation"],
        undo_out=paths["undo"],
        sheet_out=paths["sheet"],
        template=None,
        actor="cli",
    )
    bundle = build_export(store, RULES)
    assert paths["deactivation"].read_bytes() == bundle.deactivation
    assert paths["undo"].read_bytes() == bundle.undo
    assert paths["sheet"].read_bytes() == bundle.sheet
    history = export_history(store)
    assert len(history) == 1
    entry = history[0]
    assert entry["export_id"] == result.export_id == 1
    assert entry["snapshot_id"] == 1
    assert entry["actor"] == "cli"
    assert entry["counts"]["flagged"] == entry["counts"]["rows"] == 4
    assert entry["rules"]["cutoff"] == "2026-03-01"
    assert entry["rules"]["as_of"] == "2026-03-31"
    assert [(f["name"], f["kind"], f["rows"]) for f in entry["files"]] == [
        ("deactivation.csv", "deactivation", 4),
        ("undo.csv", "undo", 4),
        ("sheet.csv", "sheet", 4),
    ]
    for f in entry["files"]:
        assert f["sha256"] == hashlib.sha256(paths[f["kind"]].read_bytes()).hexdigest()
    assert [f["sha256"] for f in result.to_json()["files"]] == [f["sha256"] for f in entry["files"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "deactivation.csv",
        "seats.duckdb",
        "sheet.csv",
        "undo.csv",
    ]


def test_record_export_keeps_the_app_downloads_in_the_history(store: Store) -> None:
    add_snapshot(store, _portal(), as_of=AS_OF)
    bundle = build_export(store, RULES)
    first = record_export(store, bundle, actor="app")
    second = record_export(store, bundle, actor="app", names={"deactivation": "mine.csv"})
    history = export_history(store)
    assert [h["export_id"] for h in history] == [second, first]
    assert [f["name"] for f in history[0]["files"]] == ["mine.csv"]
    assert [f["kind"] for f in history[1]["files"]] == ["deactivation", "undo", "sheet"]


def test_two_outputs_on_one_path_are_refused(store: Store, tmp_path: Path) -> None:
    add_snapshot(store, _portal(), as_of=AS_OF)
    with pytest.raises(InputRefused, match="same file"):
        export_to_files(
            store,
            RULES,
            snapshot_id=None,
            as_of=None,
            seat_limit=None,
            out=tmp_path / "a.csv",
            undo_out=tmp_path / "a.csv",
            sheet_out=None,
            template=None,
            actor="cli",
        )
    assert export_history(store) == []


def test_large_export_round_trips(store: Store) -> None:
    add_snapshot(store, [], as_of=AS_OF)
    with store.write() as cur:
        cur.execute(
            "INSERT INTO accounts (snapshot_id, account_no, user_key, email, enabled, "
            "created_at) SELECT 1, i + 1, 'user' || i || '@example.com', "
            "'User' || i || '@Example.com', true, TIMESTAMP '2024-01-01' FROM range(30000) t(i)"
        )
    bundle = build_export(store, RULES, include_sheet=False)
    assert bundle.ok and bundle.sheet is None
    rows = _read(bundle.deactivation)
    assert len(rows) == 30001
    emails = [r[0] for r in rows[1:]]
    assert emails == sorted(emails, key=str.lower)
    assert len(set(emails)) == 30000
