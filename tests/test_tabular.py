"""Sniffing, header matching and the SQL fragments that parse timestamps and statuses."""

from __future__ import annotations

import codecs
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from dashboard import tabular
from dashboard.errors import InputRefused

# -- headers --------------------------------------------------------------------------------------

SPEC_USER_ALIASES = {
    "email": ["Email", "Email Address", "E-mail"],
    "username": ["Username", "Login"],
    "first_name": ["First Name", "firstname"],
    "last_name": ["Last Name", "Surname"],
    "user_type": ["User Type", "Type", "Role"],
    "enabled": ["Enabled", "Login Enabled", "Status", "Account Status"],
    "created_at": ["Date Created", "Created", "Created At"],
    "last_sign_in_at": ["Last Login", "Last Sign In", "Last Login Date", "Last Accessed"],
    "sign_in_count": ["Sign In Count", "Logins", "Number of Logins"],
    "groups": ["Groups"],
    "user_id": ["User ID", "ID"],
}


@pytest.mark.parametrize(
    "field, header", [(f, h) for f, hs in SPEC_USER_ALIASES.items() for h in [f, *hs]]
)
def test_every_spec_alias_and_canonical_name_finds_its_users_field(field: str, header: str) -> None:
    assert tabular.resolve_columns("u.csv", ["Other", header], "users") == {field: 1}


@pytest.mark.parametrize(
    "header", ["activity_at", "Login Date", "Activity Date", "Last Accessed", "Date", "Timestamp"]
)
def test_activity_timestamp_aliases_find_activity_at(header: str) -> None:
    assert tabular.resolve_columns("a.csv", ["Email", header], "activity") == {
        "email": 0,
        "activity_at": 1,
    }


def test_headers_match_ignoring_case_spaces_underscores_and_punctuation() -> None:
    assert tabular.header_key(" E-MAIL_address: ") == tabular.header_key("Email Address")


def test_a_specific_alias_wins_over_a_general_one() -> None:
    assert tabular.resolve_columns("u.csv", ["ID", "User ID"], "users") == {"user_id": 1}


def test_two_columns_reading_as_the_same_field_are_refused() -> None:
    with pytest.raises(InputRefused, match="Last Login.*LAST_LOGIN"):
        tabular.resolve_columns("u.csv", ["Last Login", "LAST_LOGIN"], "users")


def test_a_mapping_takes_precedence_over_aliases() -> None:
    cols = tabular.resolve_columns("u.csv", ["Email", "Work Mail"], "users", {"work mail": "email"})
    assert cols == {"email": 1}


def test_a_mapping_to_a_field_of_the_other_report_kind_is_ignored_in_this_one() -> None:
    cols = tabular.resolve_columns("u.csv", ["Email", "When"], "users", {"When": "activity_at"})
    assert cols == {"email": 0}


def test_check_mapping_refuses_unknown_fields_and_absent_headers() -> None:
    headers = {"u.csv": ["Email", "Enabled"]}
    tabular.check_mapping({"email": "email"}, headers)
    with pytest.raises(InputRefused, match="'mail' is not a field"):
        tabular.check_mapping({"Email": "mail"}, headers)
    with pytest.raises(InputRefused, match="no column 'Mail' in u.csv"):
        tabular.check_mapping({"Mail": "email"}, headers)


# -- sniffing -------------------------------------------------------------------------------------


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "r.csv"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "data, encoding, delimiter",
    [
        (b"Email,Name\na@x.com,Ann\n", "utf-8", ","),
        (codecs.BOM_UTF8 + "Email;Name\na@x.com;Zoë\n".encode(), "utf-8-sig", ";"),
        ("Email\tName\na@x.com\tZoë\n".encode("utf-16"), "utf-16", "\t"),
        ("Email;Name\na@x.com;Renée\n".encode("cp1252"), "cp1252", ";"),
        (b'Email,Name\na@x.com,"Smith; Jr"\n', "utf-8", ","),
    ],
)
def test_sniff_finds_encoding_separator_and_header(
    tmp_path: Path, data: bytes, encoding: str, delimiter: str
) -> None:
    sniffed = tabular.sniff(_write(tmp_path, data), "r.csv")
    assert (sniffed.encoding, sniffed.delimiter, sniffed.headers) == (
        encoding,
        delimiter,
        ["Email", "Name"],
    )
    assert len(sniffed.rows) == 1


@pytest.mark.parametrize(
    "data, phrase",
    [
        (b"", "empty"),
        (b"\xef\xbb\xbf\r\n", "empty"),
        (b"PK\x03\x04" + bytes(200), "XLSX"),
        (bytes(range(256)) * 8, "binary"),
    ],
)
def test_sniff_refuses_files_that_are_not_reports(tmp_path: Path, data: bytes, phrase: str) -> None:
    with pytest.raises(InputRefused, match=phrase) as caught:
        tabular.sniff(_write(tmp_path, data), "r.csv")
    assert caught.value.file == "r.csv"


_ABOVE = (
    b'Email,Enabled,Note\r\na@x.com,yes,"two\r\nlines"\r\n\r\nb@x.com,yes,"say ""hi""\nthere"\r\n'
)


@pytest.mark.parametrize(
    "bad, phrase",
    [
        (b"c@x.com,yes,\x00\r\n", "NUL"),
        ("c@x.com,yes,Zoë\r\n".encode() + b"d@x.com,yes,\xe9t\xe9\r\n", "mixes encodings"),
    ],
    ids=["nul", "mixed-encoding"],
)
def test_a_bad_byte_is_placed_in_its_spreadsheet_row_below_quoted_line_breaks(
    tmp_path: Path, bad: bytes, phrase: str
) -> None:
    # Rows: 1 header, 2 a (two lines in a quoted cell), 3 blank, 4 b (quoted break, doubled
    # quotes), 5 the first bad line (and 6 for the mixed-encoding case).
    with pytest.raises(InputRefused, match=phrase) as caught:
        tabular.sniff(_write(tmp_path, _ABOVE + bad), "r.csv")
    assert caught.value.row == (5 if phrase == "NUL" else 6)


def test_transcoding_streams_utf16_into_utf8_without_the_bom(tmp_path: Path) -> None:
    text = "Email\tName\r\n" + "".join(f"u{i}@x.com\tZoë {i}\r\n" for i in range(100_000))
    src = _write(tmp_path, text.encode("utf-16"))
    dest = tmp_path / "out.csv"
    tabular.transcode_to_utf8(src, "utf-16", dest)
    assert dest.read_bytes() == text.encode("utf-8")


def test_ragged_row_reads_duckdbs_row_and_field_counts() -> None:
    error = "CSV Error on Line: 7\nOriginal Line: a,b,c\nExpected Number of Columns: 2 Found: 3"
    assert tabular.ragged_row(error) == (7, "this row has 3 fields, more than the 2 in the header")
    assert tabular.ragged_row("something else") is None


# -- timestamps and statuses ----------------------------------------------------------------------


def _parse(values: list[str], order: str | None, timezone: str | None = None) -> list:
    expr = tabular.timestamp_sql("t", order, timezone=timezone)
    with duckdb.connect() as con:
        rows = con.execute(
            f"SELECT {tabular.plausible_sql('p')} FROM "
            f"(SELECT i, {expr} AS p FROM (SELECT unnest(?) AS t, generate_subscripts(?, 1) AS i)) "
            "ORDER BY i",
            [values, values],
        ).fetchall()
    return [r[0] for r in rows]


def test_timestamp_sql_reads_every_format_to_naive_utc() -> None:
    assert _parse(
        [
            "2026-03-01T10:00:00Z",
            "2026-03-01T10:00:00+01:00",
            "2026-03-01 10:00:00-02",
            "2026-03-01T10:00:00.250",
            "2026-03-01 10:00",
            "2026-03-01",
            "1/3/2026 10:00",
            "01/03/2026 10:00:30",
        ],
        "dmy",
    ) == [
        datetime(2026, 3, 1, 10, 0),
        datetime(2026, 3, 1, 9, 0),
        datetime(2026, 3, 1, 12, 0),
        datetime(2026, 3, 1, 10, 0, 0, 250000),
        datetime(2026, 3, 1, 10, 0),
        datetime(2026, 3, 1),
        datetime(2026, 3, 1, 10, 0),
        datetime(2026, 3, 1, 10, 0, 30),
    ]


@pytest.mark.parametrize(
    "value", ["a@x.com", " a@x.com ", "\u00a0Bé@x.com\u3000", "\tx\t", "", "  ", "é", " \u2009 "]
)
def test_trim_sql_trims_exactly_as_duckdbs_trim(value: str) -> None:
    with duckdb.connect() as con:
        fast, slow = con.execute(
            f"SELECT {tabular.trim_sql('$v')}, trim($v)", {"v": value}
        ).fetchone()
    assert fast == slow


def test_plain_format_needs_every_sample_value_in_one_reader_format() -> None:
    assert tabular.plain_format(
        ["2026-03-01T10:00:00Z", "", "2026-03-02T11:00:00Z"], timezone=None
    ) == ("%Y-%m-%dT%H:%M:%SZ")
    assert tabular.plain_format(["2026-03-01 10:00", "2026-03-01 10:00"], timezone=None) == (
        "%Y-%m-%d %H:%M"
    )
    assert tabular.plain_format(["2026-03-01 10:00", "2026-03-01"], timezone=None) is None
    assert tabular.plain_format(["2026-03-01T10:00:00+01:00"], timezone=None) is None
    assert tabular.plain_format(["1/3/2026"], timezone=None) is None
    assert tabular.plain_format(["", " "], timezone=None) is None
    assert tabular.plain_format(["2026-03-01 10:00"], timezone="Europe/Dublin") is None
    assert tabular.plain_format(["2026-03-01T10:00:00Z"], timezone="Europe/Dublin") == (
        "%Y-%m-%dT%H:%M:%SZ"
    )


def test_timestamp_sql_month_first_and_no_order() -> None:
    assert _parse(["3/1/2026", "2026-03-01"], "mdy") == [datetime(2026, 3, 1), datetime(2026, 3, 1)]
    assert _parse(["3/1/2026"], None) == [None]


@pytest.mark.parametrize(
    "value", ["yesterday", "45123", "31/02/2026", "14:32", "0001-01-01", "9999-12-31", "2026-13-01"]
)
def test_timestamp_sql_gives_null_for_what_it_cannot_read(value: str) -> None:
    assert _parse([value], "dmy") == [None]


def test_timestamp_sql_applies_the_report_time_zone_only_without_offset() -> None:
    assert _parse(
        ["2026-07-01 10:00", "2026-07-01T10:00:00Z", "2026-07-01T10:00:00+02:00", "1/7/2026 10:00"],
        "dmy",
        timezone="America/New_York",
    ) == [
        datetime(2026, 7, 1, 14, 0),
        datetime(2026, 7, 1, 10, 0),
        datetime(2026, 7, 1, 8, 0),
        datetime(2026, 7, 1, 14, 0),
    ]


SAMPLE = ["03/04/2024", "13/04/2024 10:00", "04/13/2024", "05/05/2024", "2024-01-01", "", "x/y/z"]


def test_sample_statistics_agree_with_the_sql_statistics() -> None:
    with duckdb.connect() as con:
        rel = con.execute(
            f"SELECT {tabular.timestamp_stats_sql('t', 'c')} FROM (SELECT unnest(?) AS t)",
            [SAMPLE],
        )
        from_sql = dict(zip([d[0] for d in rel.description], rel.fetchone(), strict=True))
    assert tabular.sample_timestamp_stats(SAMPLE, "c") == from_sql
    assert (from_sql["c_dmy"], from_sql["c_mdy"], from_sql["c_ambiguous_ex"]) == (
        1,
        1,
        "03/04/2024",
    )


def test_decide_date_order_follows_proof_and_refuses_mixed_or_ambiguous_columns() -> None:
    def stats(dmy: int, mdy: int, ambiguous: str | None) -> dict[str, object]:
        return {
            "c_dmy": dmy,
            "c_dmy_ex": "13/01/2024" if dmy else None,
            "c_mdy": mdy,
            "c_mdy_ex": "01/13/2024" if mdy else None,
            "c_ambiguous_ex": ambiguous,
        }

    notes: list[str] = []
    assert tabular.decide_date_order("u.csv", "C", stats(1, 0, "01/02/2024"), "c", None, notes)
    assert tabular.decide_date_order("u.csv", "C", stats(0, 2, None), "c", "dmy", notes) == "mdy"
    assert notes == []
    with pytest.raises(InputRefused, match="mix day-first"):
        tabular.decide_date_order("u.csv", "C", stats(1, 1, None), "c", "dmy", notes)
    with pytest.raises(InputRefused, match="ambiguous.*--date-order"):
        tabular.decide_date_order("u.csv", "C", stats(0, 0, "01/02/2024"), "c", None, notes)
    assert tabular.decide_date_order("u.csv", "C", stats(0, 0, "01/02/2024"), "c", "mdy", notes)
    assert len(notes) == 1 and "month-first" in notes[0]


def test_status_sql_reads_the_accepted_spellings_only() -> None:
    values = [
        "TRUE",
        "yes",
        "1",
        "Enabled",
        "active",
        "false",
        "NO",
        "0",
        "disabled",
        "Inactive",
        "maybe",
        "",
    ]
    with duckdb.connect() as con:
        rows = con.execute(
            f"SELECT {tabular.status_sql('t')} FROM (SELECT unnest(?) AS t, "
            "generate_subscripts(?, 1) AS i) ORDER BY i",
            [values, values],
        ).fetchall()
    assert [r[0] for r in rows] == [True] * 5 + [False] * 5 + [None, None]
