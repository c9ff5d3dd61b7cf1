"""Loading reports: real files under tmp_path, a real DuckDB store, assertions on stored rows."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from dashboard.errors import InputRefused
from dashboard.loading import ReportFile, commit_accounts, load_reports, spreadsheet_rows
from dashboard.store import Store
from tests.conftest import TESTS

FIXTURES = TESTS / "data" / "loading"
HEADER = "Email,First Name,User Type,Enabled,Date Created,Last Login"


def report(tmp_path: Path, name: str, *lines: str, encoding: str = "utf-8") -> ReportFile:
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return ReportFile.from_path(path)


def users(tmp_path: Path, *rows: str, header: str = HEADER) -> ReportFile:
    return report(tmp_path, "users.csv", header, *rows)


def accounts(store: Store, columns: str = "*") -> list[tuple]:
    with store.read() as cur:
        return cur.execute(
            f"SELECT {columns} FROM accounts WHERE snapshot_id = "
            "(SELECT max(snapshot_id) FROM snapshots) ORDER BY user_key"
        ).fetchall()


def one(store: Store, sql: str, params: list | None = None):
    with store.read() as cur:
        return cur.execute(sql, params or []).fetchone()


def refusal(store: Store, *args, **kwargs) -> InputRefused:
    before = store.table_checksums()
    with pytest.raises(InputRefused) as caught:
        load_reports(store, *args, **kwargs)
    assert store.table_checksums() == before
    return caught.value


# -- accounts -------------------------------------------------------------------------------------


def test_users_report_stores_one_normalised_account_per_row(store: Store, tmp_path: Path) -> None:
    result = load_reports(
        store,
        users(
            tmp_path,
            " Ann.Bé@Example.COM ,Ann,Learner,Yes,2024-01-15 09:30,2026-02-01T08:00:00Z",
            "bob@example.com,Bob,ADMIN,no,2023-05-02,",
        ),
        as_of=date(2026, 3, 1),
    )
    assert result.to_json() == {
        "snapshot_id": result.snapshot_id,
        "users": 2,
        "activity_rows": 0,
        "activity_unmatched": 0,
        "as_of": "2026-03-01",
    }
    assert accounts(
        store, "user_key, email, first_name, user_type, enabled, created_at, last_sign_in_at"
    ) == [
        (
            "ann.bé@example.com",
            "Ann.Bé@Example.COM",
            "Ann",
            "learner",
            True,
            datetime(2024, 1, 15, 9, 30),
            datetime(2026, 2, 1, 8, 0),
        ),
        ("bob@example.com", "bob@example.com", "Bob", "admin", False, datetime(2023, 5, 2), None),
    ]


def test_as_of_defaults_to_today_in_utc(store: Store, tmp_path: Path) -> None:
    result = load_reports(store, users(tmp_path, "a@x.com,A,learner,yes,,"))
    assert result.as_of == datetime.now(UTC).date()
    assert store.snapshot().as_of == result.as_of


def test_groups_split_on_semicolons_when_the_column_has_them(store: Store, tmp_path: Path) -> None:
    load_reports(
        store,
        users(
            tmp_path,
            "a@x.com,Sales; EMEA ;,learner,yes",
            'b@x.com,"Legal, Compliance",learner,yes',
            "c@x.com,,learner,yes",
            header="Email,Groups,User Type,Enabled",
        ),
    )
    assert accounts(store, "groups") == [(["Sales", "EMEA"],), (["Legal, Compliance"],), ([],)]


def test_sign_in_count_and_user_id_are_stored(store: Store, tmp_path: Path) -> None:
    load_reports(
        store,
        users(tmp_path, "007,a@x.com,yes,12", header="User ID,Email,Enabled,Number of Logins"),
    )
    assert accounts(store, "user_id, sign_in_count") == [("007", 12)]


def test_username_portal_keys_accounts_by_lower_cased_username(
    store: Store, tmp_path: Path
) -> None:
    load_reports(store, users(tmp_path, " JSmith ,yes", "akelly,no", header="Login,Status"))
    snap = store.snapshot()
    assert snap.identity == "username"
    assert accounts(store, "user_key, username, email") == [
        ("akelly", "akelly", None),
        ("jsmith", "JSmith", None),
    ]


@pytest.mark.parametrize(
    "spelling, enabled",
    [
        ("true", True),
        ("TRUE", True),
        ("Yes", True),
        ("1", True),
        ("Enabled", True),
        ("active", True),
        ("false", False),
        ("No", False),
        ("0", False),
        ("DISABLED", False),
        ("Inactive", False),
    ],
)
def test_status_spellings_are_read_in_any_case(
    store: Store, tmp_path: Path, spelling: str, enabled: bool
) -> None:
    load_reports(store, users(tmp_path, f"a@x.com,{spelling}", header="Email,Account Status"))
    assert accounts(store, "enabled") == [(enabled,)]


# -- headers --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "Email,Enabled,Date Created,Last Login",
        "E-mail,Login Enabled,Created,Last Sign In",
        "email_address,STATUS,created at,last login date",
        "EMAIL ADDRESS,Account Status,date_created,Last Accessed",
        "email,enabled,created_at,last_sign_in_at",
    ],
)
def test_header_aliases_match_ignoring_case_spaces_and_punctuation(
    store: Store, tmp_path: Path, header: str
) -> None:
    load_reports(store, users(tmp_path, "a@x.com,yes,2024-01-02,2025-03-04", header=header))
    assert accounts(store, "user_key, enabled, created_at, last_sign_in_at") == [
        ("a@x.com", True, datetime(2024, 1, 2), datetime(2025, 3, 4))
    ]


def test_explicit_mapping_reads_headers_no_alias_knows(store: Store, tmp_path: Path) -> None:
    load_reports(
        store,
        users(tmp_path, "a@x.com,active,03/04/2024 10:00", header="Work Mail,State,Joined"),
        mapping={"work mail": "email", "State": "enabled", "Joined": "created_at"},
        date_order="mdy",
    )
    assert accounts(store, "user_key, enabled, created_at") == [
        ("a@x.com", True, datetime(2024, 3, 4, 10, 0))
    ]


def test_mapping_to_an_unknown_field_is_refused(store: Store, tmp_path: Path) -> None:
    err = refusal(
        store, users(tmp_path, "a@x.com,yes", header="Email,Enabled"), mapping={"Email": "mail"}
    )
    assert "'mail' is not a field" in err.text and "email" in err.text


def test_mapping_a_header_no_file_has_is_refused(store: Store, tmp_path: Path) -> None:
    err = refusal(
        store, users(tmp_path, "a@x.com,yes", header="Email,Enabled"), mapping={"Mail": "email"}
    )
    assert "no column 'Mail'" in err.text


def test_missing_enabled_column_is_refused_with_a_mapping_hint(
    store: Store, tmp_path: Path
) -> None:
    err = refusal(store, users(tmp_path, "a@x.com,Ann", header="Email,First Name"))
    assert err.row == 1 and "enabled" in err.text and "--map" in err.text


# -- timestamps -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2026-02-01T08:00:00Z", datetime(2026, 2, 1, 8, 0)),
        ("2026-02-01T08:00:00+02:00", datetime(2026, 2, 1, 6, 0)),
        ("2026-02-01T08:00:00-0530", datetime(2026, 2, 1, 13, 30)),
        ("2026-02-01T08:00:00", datetime(2026, 2, 1, 8, 0)),
        ("2026-02-01 08:00", datetime(2026, 2, 1, 8, 0)),
        ("2026-02-01 08:00:59", datetime(2026, 2, 1, 8, 0, 59)),
        ("2026-02-01", datetime(2026, 2, 1)),
        ("25/2/2026", datetime(2026, 2, 25)),
        ("25/02/2026 9:05", datetime(2026, 2, 25, 9, 5)),
        ("2/25/2026", datetime(2026, 2, 25)),
        ("02/25/2026 17:45", datetime(2026, 2, 25, 17, 45)),
    ],
)
def test_each_timestamp_format_is_stored_as_naive_utc(
    store: Store, tmp_path: Path, value: str, expected: datetime
) -> None:
    load_reports(store, users(tmp_path, f"a@x.com,yes,{value}", header="Email,Enabled,Last Login"))
    assert accounts(store, "last_sign_in_at") == [(expected,)]


def test_timezone_option_moves_times_without_offset_to_utc(store: Store, tmp_path: Path) -> None:
    load_reports(
        store,
        users(
            tmp_path,
            "a@x.com,yes,2026-07-01 10:00",
            "b@x.com,yes,2026-07-01T10:00:00Z",
            "c@x.com,yes,15/01/2026 10:00",
            header="Email,Enabled,Last Login",
        ),
        timezone="Europe/Dublin",
    )
    assert accounts(store, "last_sign_in_at") == [
        (datetime(2026, 7, 1, 9, 0),),
        (datetime(2026, 7, 1, 10, 0),),
        (datetime(2026, 1, 15, 10, 0),),
    ]


def test_unknown_timezone_is_refused(store: Store, tmp_path: Path) -> None:
    err = refusal(store, users(tmp_path, "a@x.com,yes"), timezone="Mars/Olympus")
    assert "Mars/Olympus" in err.text


def test_a_day_above_12_makes_the_whole_column_day_first(store: Store, tmp_path: Path) -> None:
    load_reports(
        store,
        users(
            tmp_path,
            "a@x.com,yes,03/04/2024",
            "b@x.com,yes,13/04/2024",
            header="Email,Enabled,Date Created",
        ),
    )
    assert accounts(store, "created_at") == [(datetime(2024, 4, 3),), (datetime(2024, 4, 13),)]


def test_a_second_part_above_12_makes_the_whole_column_month_first(
    store: Store, tmp_path: Path
) -> None:
    load_reports(
        store,
        users(
            tmp_path,
            "a@x.com,yes,03/04/2024",
            "b@x.com,yes,04/13/2024",
            header="Email,Enabled,Date Created",
        ),
    )
    assert accounts(store, "created_at") == [(datetime(2024, 3, 4),), (datetime(2024, 4, 13),)]


def test_each_column_decides_its_own_day_month_order(store: Store, tmp_path: Path) -> None:
    load_reports(
        store,
        users(
            tmp_path,
            "a@x.com,yes,03/04/2024,03/04/2025",
            "b@x.com,yes,13/04/2024,04/13/2025",
            header="Email,Enabled,Date Created,Last Login",
        ),
    )
    assert accounts(store, "created_at, last_sign_in_at") == [
        (datetime(2024, 4, 3), datetime(2025, 3, 4)),
        (datetime(2024, 4, 13), datetime(2025, 4, 13)),
    ]


def test_a_column_with_day_first_and_month_first_proofs_is_refused(
    store: Store, tmp_path: Path
) -> None:
    err = refusal(
        store,
        users(
            tmp_path,
            "a@x.com,yes,13/04/2024",
            "b@x.com,yes,04/13/2024",
            header="Email,Enabled,Date Created",
        ),
    )
    assert (err.row, err.column) == (3, "Date Created")
    assert "13/04/2024" in err.text and "04/13/2024" in err.text


def test_an_ambiguous_column_is_refused_without_a_date_order(store: Store, tmp_path: Path) -> None:
    err = refusal(
        store,
        users(
            tmp_path,
            "a@x.com,yes,03/04/2024",
            "b@x.com,yes,05/06/2024",
            header="Email,Enabled,Date Created",
        ),
    )
    assert (err.file, err.row, err.column) == ("users.csv", 2, "Date Created")
    assert "03/04/2024" in err.text and "day-first" in err.text
    assert "--date-order dmy" in err.text and "mdy" in err.text


@pytest.mark.parametrize("order, expected", [("dmy", date(2024, 4, 3)), ("mdy", date(2024, 3, 4))])
def test_an_ambiguous_column_follows_the_chosen_order_and_says_so(
    store: Store, tmp_path: Path, order: str, expected: date
) -> None:
    result = load_reports(
        store,
        users(tmp_path, "a@x.com,yes,03/04/2024", header="Email,Enabled,Date Created"),
        date_order=order,
    )
    assert accounts(store, "CAST(created_at AS DATE)") == [(expected,)]
    assert any("Date Created" in n and "as chosen" in n for n in result.notes)


def test_an_unparseable_timestamp_is_refused_quoting_value_row_and_column(
    store: Store, tmp_path: Path
) -> None:
    err = refusal(
        store,
        users(
            tmp_path,
            "a@x.com,yes,2024-01-01",
            "b@x.com,yes,yesterday",
            header="Email,Enabled,Last Login",
        ),
    )
    assert (err.row, err.column) == (3, "Last Login") and "'yesterday'" in err.text


def test_users_timestamps_after_a_clean_sample_are_converted_or_refused_by_row(
    store: Store, tmp_path: Path
) -> None:
    rows = [f"u{i}@x.com,yes,2024-01-01T10:00:00Z" for i in range(6000)]
    header = "Email,Enabled,Last Login"
    load_reports(
        store, users(tmp_path, *rows, "late@x.com,yes,2024-03-01 10:00+02:00", header=header)
    )
    assert one(store, "SELECT last_sign_in_at FROM accounts WHERE user_key = 'late@x.com'") == (
        datetime(2024, 3, 1, 8, 0),
    )
    err = refusal(store, users(tmp_path, *rows, "bad@x.com,yes,soon", header=header))
    assert (err.file, err.row, err.column) == ("users.csv", 6002, "Last Login")
    assert "'soon'" in err.text


def test_a_placeholder_year_is_refused(store: Store, tmp_path: Path) -> None:
    err = refusal(
        store, users(tmp_path, "a@x.com,yes,0001-01-01", header="Email,Enabled,Last Login")
    )
    assert (err.row, err.column) == (2, "Last Login")


@pytest.mark.parametrize(
    "expiry", ["9999-12-31", "31/12/9999", "2199-01-01T00:00:00Z"], ids=["iso", "dmy", "typed"]
)
def test_a_far_future_expiry_means_never_and_is_noted(
    store: Store, tmp_path: Path, expiry: str
) -> None:
    result = load_reports(
        store,
        users(
            tmp_path,
            f"a@x.com,yes,{expiry}",
            "b@x.com,yes,2027-06-30",
            "c@x.com,yes,",
            header="Email,Enabled,Account Expires",
        ),
    )
    assert accounts(store, "user_key, account_expires") == [
        ("a@x.com", None),
        ("b@x.com", date(2027, 6, 30)),
        ("c@x.com", None),
    ]
    assert any("1 accounts" in n and "never expiring" in n for n in result.notes), result.notes


def test_an_unreadable_expiry_is_still_refused(store: Store, tmp_path: Path) -> None:
    err = refusal(
        store,
        users(
            tmp_path, "a@x.com,yes,9999-12-31", "b@x.com,yes,never", header="Email,Enabled,Expires"
        ),
    )
    assert (err.row, err.column) == (3, "Expires")
    assert "'never'" in err.text


def test_a_far_future_creation_date_is_still_refused(store: Store, tmp_path: Path) -> None:
    err = refusal(
        store, users(tmp_path, "a@x.com,yes,9999-12-31", header="Email,Enabled,Date Created")
    )
    assert (err.row, err.column) == (2, "Date Created")


def test_a_second_column_for_the_same_field_is_named_in_a_note(
    store: Store, tmp_path: Path
) -> None:
    result = load_reports(
        store,
        users(
            tmp_path,
            "a@x.com,boss@x.com,yes",
            header="Email,Email Address,Enabled",
        ),
    )
    assert accounts(store, "email") == [("a@x.com",)]
    assert result.notes == [
        "users.csv: column 'Email Address' also reads as 'email'; 'Email' was used (choose with "
        "--map 'Email Address=email' or the column mapping)"
    ]
    load_reports(
        store,
        users(tmp_path, "a@x.com,boss@x.com,yes", header="Email,Email Address,Enabled"),
        mapping={"Email Address": "email"},
    )
    assert accounts(store, "email") == [("boss@x.com",)]


# -- formats --------------------------------------------------------------------------------------


def test_the_same_accounts_in_three_encodings_load_to_the_same_rows(store: Store) -> None:
    seen = []
    for name in ("users_utf8_bom_comma.csv", "users_cp1252_semicolon.csv", "users_utf16_tab.txt"):
        load_reports(store, ReportFile.from_path(FIXTURES / name))
        seen.append(accounts(store, "* EXCLUDE (snapshot_id, account_no)"))
    assert seen[0] == seen[1] == seen[2]
    names = {(r[2], r[4], r[5]) for r in seen[0]}
    assert ("Zoë.Martínez@example.com", "Zoë", "Martínez") in names
    assert ("francois@example.com", "François", "Lefèvre; Jr") in names


def test_windows_1252_text_after_a_plain_ascii_start_is_read(store: Store, tmp_path: Path) -> None:
    rows = [f"user{i}@x.com,yes,Plain" for i in range(50_000)] + ["jose@x.com,yes,José"]
    path = tmp_path / "users.csv"
    path.write_bytes(("Email,Enabled,First Name\n" + "\n".join(rows) + "\n").encode("cp1252"))
    assert path.stat().st_size > 1 << 20
    load_reports(store, ReportFile.from_path(path))
    assert one(store, "SELECT first_name FROM accounts WHERE user_key = 'jose@x.com'") == ("José",)


def test_quoted_separators_and_newlines_stay_in_one_row(store: Store, tmp_path: Path) -> None:
    load_reports(
        store,
        users(
            tmp_path,
            'a@x.com,"Ann, ""Nan""\nSecond line",learner,yes',
            header="Email,First Name,User Type,Enabled",
        ),
    )
    assert accounts(store, "first_name") == [('Ann, "Nan"\nSecond line',)]


@pytest.mark.parametrize(
    "bad_row, found", [("c@x.com,yes,extra", "3 fields, more"), ("c@x.com", "1 fields, fewer")]
)
def test_a_ragged_row_is_refused_counted_as_a_spreadsheet_counts_rows(
    store: Store, tmp_path: Path, bad_row: str, found: str
) -> None:
    err = refusal(
        store,
        users(tmp_path, 'a@x.com,"yes"', '"b@x.com\nnote",yes', bad_row, header="Email,Enabled"),
    )
    assert err.row == 4 and found in err.text


@pytest.mark.parametrize("sep", [";", "\t"])
def test_semicolon_and_tab_separators_are_detected(store: Store, tmp_path: Path, sep: str) -> None:
    load_reports(
        store,
        report(
            tmp_path,
            "u.csv",
            sep.join(["Email", "Enabled", "First Name"]),
            sep.join(["a@x.com", "yes", "Ann, Jr"]),
        ),
    )
    assert accounts(store, "user_key, first_name") == [("a@x.com", "Ann, Jr")]


# -- bad accounts ---------------------------------------------------------------------------------


def test_duplicate_accounts_are_refused_case_insensitively_listing_rows(
    store: Store, tmp_path: Path
) -> None:
    err = refusal(
        store,
        users(tmp_path, "a@x.com,yes", "b@x.com,yes", " A@X.com,no", header="Email,Enabled"),
    )
    assert err.row == 4 and err.column == "Email" and "rows 2, 4" in err.text


def test_a_row_without_an_email_is_refused(store: Store, tmp_path: Path) -> None:
    err = refusal(store, users(tmp_path, "a@x.com,yes", " ,yes", header="Email,Enabled"))
    assert (err.row, err.column) == (3, "Email")


def test_an_unknown_status_is_refused_listing_the_accepted_spellings(
    store: Store, tmp_path: Path
) -> None:
    err = refusal(store, users(tmp_path, "a@x.com,yes", "b@x.com,maybe", header="Email,Enabled"))
    assert (err.row, err.column) == (3, "Enabled")
    assert "'maybe'" in err.text and "yes" in err.text and "inactive" in err.text


# -- row numbers below blank lines ----------------------------------------------------------------

# A blank line is a row in a spreadsheet but no record for DuckDB; a quoted line break is neither.
ABOVE = ("a@x.com,yes,2026-01-01", "", '"b@x.com",yes,"2026-01-02"', "", "")


@pytest.mark.parametrize(
    "bad, column, phrase",
    [
        ("c@x.com,maybe,2026-01-03", "Enabled", "'maybe'"),
        (" ,yes,2026-01-03", "Email", "empty"),
        ("Total,yes,2026-01-03", "Email", "'Total'"),
        ("c@x.com,yes,last tuesday", "Last Login", "'last tuesday'"),
        ("c@x.com,yes,03/04/2026", "Last Login", "ambiguous"),
        ("c@x.com,yes,2026-01-03,extra", None, "4 fields, more"),
    ],
)
def test_users_refusals_below_blank_lines_name_the_spreadsheet_row(
    store: Store, tmp_path: Path, bad: str, column: str | None, phrase: str
) -> None:
    err = refusal(store, users(tmp_path, *ABOVE, bad, header="Email,Enabled,Last Login"))
    assert (err.row, err.column, phrase in err.text) == (7, column, True)


@pytest.mark.parametrize(
    "bad, phrase",
    [
        ("b@x.com,2026-01-02,Intro,extra", "4 fields, more"),
        ("b@x.com,2026-01-02", "2 fields, fewer"),
    ],
)
@pytest.mark.parametrize("rows_above", [1, 3000], ids=["near-the-top", "far-down"])
def test_a_ragged_activity_row_is_refused_with_its_row(
    store: Store, tmp_path: Path, bad: str, phrase: str, rows_above: int
) -> None:
    """Near the top, DuckDB's size-estimating sniffer fails first; the load then reads the file
    again without it and names the row all the same."""
    rows = ["a@x.com,2026-01-01,Intro"] * rows_above
    err = refusal(
        store,
        users(tmp_path, "a@x.com,yes", header="Email,Enabled"),
        [report(tmp_path, "logins.csv", "Email,Login Date,Course", *rows, bad)],
    )
    assert (err.file, err.row) == ("logins.csv", rows_above + 2)
    assert phrase in err.text


def test_duplicates_below_blank_lines_list_spreadsheet_rows(store: Store, tmp_path: Path) -> None:
    err = refusal(
        store,
        users(tmp_path, "a@x.com,yes", "", "b@x.com,yes", "", "A@x.com,no", header="Email,Enabled"),
    )
    assert err.row == 6 and "rows 2, 6" in err.text


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1252"])
def test_a_transcoded_file_with_blank_lines_names_the_spreadsheet_row(
    store: Store, tmp_path: Path, encoding: str
) -> None:
    path = tmp_path / "users.csv"
    lines = ["Email,First Name,Enabled", "a@x.com,Zoë,yes", "", "", "b@x.com,Bob,maybe"]
    path.write_bytes("\r\n".join(lines).encode(encoding))
    err = refusal(store, ReportFile.from_path(path))
    assert (err.row, err.column) == (5, "Enabled")


def test_a_bad_activity_timestamp_below_blank_lines_names_the_spreadsheet_row(
    store: Store, tmp_path: Path
) -> None:
    rows = ['a@x.com,"2026-01-01 10:00"'] * 6000 + ["", '"a@x.com\nnote",31/31/2026']
    err = refusal(
        store,
        users(tmp_path, "a@x.com,yes", header="Email,Enabled"),
        [report(tmp_path, "a.csv", "Email,Login Date", "", *rows)],
    )
    assert (err.file, err.row, err.column) == ("a.csv", 6004, "Login Date")


def test_spreadsheet_rows_count_blank_lines_but_not_quoted_line_breaks(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text('h;i\n1;"x\n\ny"\n\n2;z\r\n\r\n\n3;w\n', newline="")
    assert spreadsheet_rows(path, ";", [1, 2, 3, 4, 9]) == {1: 1, 2: 2, 3: 4, 4: 7, 9: 9}
    path.write_text('h;i\n1;"x\n\ny"\n2;z\n', newline="")
    assert spreadsheet_rows(path, ";", [2, 3]) == {2: 2, 3: 3}


# -- activity -------------------------------------------------------------------------------------


def test_activity_joins_by_email_ignoring_case_and_counts_unmatched_rows(
    store: Store, tmp_path: Path
) -> None:
    result = load_reports(
        store,
        users(tmp_path, "Ann@x.com,yes", "bob@x.com,yes", header="Email,Enabled"),
        [
            report(
                tmp_path,
                "logins.csv",
                "E-mail,Login Date,Course",
                " ANN@X.COM ,2026-01-05 10:00,Intro",
                "ann@x.com,2026-02-05 10:00,Safety",
                "gone@x.com,2026-03-01 10:00,Intro",
            )
        ],
    )
    assert (result.activity_rows, result.activity_unmatched) == (3, 1)
    assert accounts(store, "user_key, last_activity_at") == [
        ("ann@x.com", datetime(2026, 2, 5, 10, 0)),
        ("bob@x.com", None),
    ]
    with store.read() as cur:
        rows = cur.execute(
            "SELECT c.user_key, a.identity, a.extra FROM activity a LEFT JOIN accounts c "
            "USING (snapshot_id, account_no) ORDER BY a.activity_at"
        ).fetchall()
    assert rows == [
        ("ann@x.com", None, '{"Course":"Intro"}'),
        ("ann@x.com", None, '{"Course":"Safety"}'),
        (None, "gone@x.com", '{"Course":"Intro"}'),
    ]


def test_activity_keeps_other_columns_whose_titles_differ_only_in_case(
    store: Store, tmp_path: Path
) -> None:
    load_reports(
        store,
        users(tmp_path, "a@x.com,yes", header="Email,Enabled"),
        [
            report(
                tmp_path,
                "a.csv",
                'Email,Login Date,Course,course,,"a ""b"""',
                "a@x.com,2026-01-01,Intro,INTRO,,q",
            )
        ],
    )
    extra = one(store, "SELECT extra FROM activity")[0]
    assert json.loads(extra) == {
        "Course": "Intro",
        "course'": "INTRO",
        "column 5": None,
        'a "b"': "q",
    }


def test_activity_with_only_a_user_id_joins_by_user_id(store: Store, tmp_path: Path) -> None:
    result = load_reports(
        store,
        users(tmp_path, "11,a@x.com,yes", "12,b@x.com,yes", header="User ID,Email,Enabled"),
        [report(tmp_path, "a.csv", "User ID,Activity Date", "12,2026-01-01", "99,2026-01-02")],
    )
    assert result.activity_unmatched == 1
    assert accounts(store, "user_key, last_activity_at") == [
        ("a@x.com", None),
        ("b@x.com", datetime(2026, 1, 1)),
    ]


def test_activity_rows_without_a_timestamp_are_skipped_and_noted(
    store: Store, tmp_path: Path
) -> None:
    result = load_reports(
        store,
        users(tmp_path, "a@x.com,yes", header="Email,Enabled"),
        [report(tmp_path, "a.csv", "Email,Date", "a@x.com,2026-01-01", "a@x.com,")],
    )
    assert result.activity_rows == 2
    assert one(store, "SELECT count(*) FROM activity") == (1,)
    assert any("1 rows" in n and "skipped" in n for n in result.notes)


def test_activity_dates_after_the_sample_still_decide_the_order(
    store: Store, tmp_path: Path
) -> None:
    rows = ["a@x.com,2026-01-01 10:00"] * 6000 + ["a@x.com,03/04/2026", "a@x.com,25/04/2026"]
    result = load_reports(
        store,
        users(tmp_path, "a@x.com,yes", header="Email,Enabled"),
        [report(tmp_path, "a.csv", "Email,Login Date", *rows)],
    )
    assert result.activity_rows == 6002
    assert accounts(store, "last_activity_at") == [(datetime(2026, 4, 25),)]


def test_a_bad_activity_timestamp_far_down_is_refused_with_its_row(
    store: Store, tmp_path: Path
) -> None:
    load_reports(store, users(tmp_path, "a@x.com,yes", header="Email,Enabled"))
    rows = ['a@x.com,"2026-01-01 10:00"'] * 6000 + ["a@x.com,31/31/2026"]
    err = refusal(
        store,
        users(tmp_path, "a@x.com,yes", header="Email,Enabled"),
        [report(tmp_path, "a.csv", "Email,Login Date", *rows)],
    )
    assert (err.file, err.row, err.column) == ("a.csv", 6002, "Login Date")
    assert "'31/31/2026'" in err.text


def test_an_offset_after_a_sample_of_utc_times_is_still_moved_to_utc(
    store: Store, tmp_path: Path
) -> None:
    rows = ["a@x.com,2026-01-01T10:00:00Z"] * 6000 + ["a@x.com,2026-03-01 10:00:00+02:00"]
    result = load_reports(
        store,
        users(tmp_path, "a@x.com,yes", header="Email,Enabled"),
        [report(tmp_path, "a.csv", "Email,Login Date", *rows)],
    )
    assert result.activity_rows == 6001
    assert accounts(store, "last_activity_at") == [(datetime(2026, 3, 1, 8, 0),)]


@pytest.mark.parametrize(
    "clean, bad, phrase",
    [
        ("2026-01-01T10:00:00Z", "0001-01-01T00:00:00Z", "'0001-01-01T00:00:00Z'"),
        ("2026-01-01 10:00", "03/04/2026", "ambiguous"),
    ],
    ids=["placeholder-year", "ambiguous-day-month"],
)
def test_a_bad_activity_time_after_a_clean_sample_is_refused_with_its_row(
    store: Store, tmp_path: Path, clean: str, bad: str, phrase: str
) -> None:
    rows = [f"a@x.com,{clean}"] * 6000 + [f"a@x.com,{bad}"]
    err = refusal(
        store,
        users(tmp_path, "a@x.com,yes", header="Email,Enabled"),
        [report(tmp_path, "a.csv", "Email,Login Date", *rows)],
    )
    assert (err.file, err.row, err.column) == ("a.csv", 6002, "Login Date")
    assert phrase in err.text


def test_activity_without_a_timestamp_column_is_refused(store: Store, tmp_path: Path) -> None:
    err = refusal(
        store,
        users(tmp_path, "a@x.com,yes", header="Email,Enabled"),
        [report(tmp_path, "a.csv", "Email,Course", "a@x.com,Intro")],
    )
    assert err.file == "a.csv" and err.row == 1 and "activity_at" in err.text


# -- the snapshot ---------------------------------------------------------------------------------


def test_a_load_records_one_snapshot_with_each_file_and_its_sha256(
    store: Store, tmp_path: Path
) -> None:
    import hashlib

    u = users(tmp_path, "a@x.com,yes", header="Email,Enabled")
    a = report(tmp_path, "a.csv", "Email,Date", "a@x.com,2026-01-01", "b@x.com,2026-01-02")
    result = load_reports(store, u, [a], as_of=date(2026, 2, 1), label="Acme portal")
    snap = store.snapshot()
    assert snap.snapshot_id == result.snapshot_id
    assert (snap.source, snap.label, snap.as_of, snap.users) == (
        "csv",
        "Acme portal",
        date(2026, 2, 1),
        1,
    )
    assert (snap.activity_rows, snap.activity_unmatched, snap.is_demo) == (2, 1, False)
    assert snap.files == [
        {
            "name": "users.csv",
            "kind": "users",
            "sha256": hashlib.sha256(u.path.read_bytes()).hexdigest(),
            "rows": 1,
        },
        {
            "name": "a.csv",
            "kind": "activity",
            "sha256": hashlib.sha256(a.path.read_bytes()).hexdigest(),
            "rows": 2,
        },
    ]


def test_a_refused_activity_file_leaves_the_previous_snapshot_as_it_was(
    store: Store, tmp_path: Path
) -> None:
    load_reports(store, users(tmp_path, "a@x.com,yes", header="Email,Enabled"))
    refusal(
        store,
        users(tmp_path, "a@x.com,yes", "b@x.com,yes", header="Email,Enabled"),
        [report(tmp_path, "a.csv", "Email,Date", "a@x.com,soon")],
    )
    assert store.snapshot().users == 1


def test_progress_is_reported_in_order_up_to_done(store: Store, tmp_path: Path) -> None:
    seen: list[tuple[float, str]] = []
    load_reports(
        store,
        users(tmp_path, "a@x.com,yes", header="Email,Enabled"),
        [report(tmp_path, "a.csv", "Email,Date", "a@x.com,2026-01-01")],
        progress=lambda f, t: seen.append((f, t)),
    )
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(seen) >= 4
    assert any("a.csv" in t for _, t in seen)


# -- commit_accounts (the API sync's path) ------------------------------------------------------


def test_commit_accounts_stores_a_frame_as_one_snapshot(store: Store) -> None:
    frame = pd.DataFrame(
        {
            "user_id": [1, 2],
            "email": ["Ann@x.com", "bob@x.com"],
            "user_type": ["learner", "admin"],
            "enabled": [True, False],
            "created_at": ["2025-01-01T10:00:00Z", "2024-06-30T23:00:00Z"],
            "last_sign_in_at": ["2026-01-01T10:00:00Z", None],
            "sign_in_count": [5, 0],
            "extra_field": ["ignored", "ignored"],
        }
    )
    files = [{"name": "acme", "kind": "api", "sha256": None, "rows": 2}]
    result = commit_accounts(
        store, frame, source="api", label="acme", files=files, as_of=date(2026, 2, 1)
    )
    assert (result.users, result.as_of) == (2, date(2026, 2, 1))
    assert store.snapshot().files == files and store.snapshot().source == "api"
    assert accounts(store, "user_key, user_id, enabled, created_at, last_sign_in_at") == [
        ("ann@x.com", "1", True, datetime(2025, 1, 1, 10), datetime(2026, 1, 1, 10)),
        ("bob@x.com", "2", False, datetime(2024, 6, 30, 23), None),
    ]


def test_commit_accounts_reads_a_far_future_expiry_as_never(store: Store) -> None:
    frame = pd.DataFrame(
        {
            "email": ["a@x.com", "b@x.com"],
            "enabled": [True, True],
            "account_expires": ["9999-12-31", "2027-06-30"],
        }
    )
    result = commit_accounts(store, frame, source="api", label="acme", files=[], as_of=None)
    assert accounts(store, "user_key, account_expires") == [
        ("a@x.com", None),
        ("b@x.com", date(2027, 6, 30)),
    ]
    assert any("never expiring" in n for n in result.notes)


def test_commit_accounts_refuses_duplicate_keys_and_changes_nothing(store: Store) -> None:
    frame = pd.DataFrame({"email": ["a@x.com", "A@x.com"], "enabled": [True, True]})
    before = store.table_checksums()
    with pytest.raises(InputRefused, match="more than once"):
        commit_accounts(store, frame, source="api", label="acme", files=[], as_of=None)
    assert store.table_checksums() == before


def test_activity_on_a_username_portal_joins_by_username(store: Store, tmp_path: Path) -> None:
    result = load_reports(
        store,
        users(tmp_path, "JSmith,yes", "akelly,yes", header="Username,Enabled"),
        [report(tmp_path, "a.csv", "Login,Timestamp", "jsmith,2026-01-01", "nobody,2026-01-02")],
    )
    assert result.activity_unmatched == 1
    assert accounts(store, "user_key, last_activity_at") == [
        ("akelly", None),
        ("jsmith", datetime(2026, 1, 1)),
    ]
