"""Write the bad-input corpus (tests/corpus/*.csv) and its manifest (tests/corpus/manifest.json).

Run once with `python tests/corpus/make_corpus.py`; the output is committed. Every file is written
as explicit bytes so that encodings, byte-order marks, NUL bytes and line endings are exactly what
the case says. The manifest states, per case, whether a reviewer should see the file load or be
refused, and for a refusal what the message must name: the file, the spreadsheet row (header = row
1), the column where one applies and a key phrase (a case-insensitive regular expression).
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

HEADER = [
    "Email",
    "First Name",
    "Last Name",
    "User Type",
    "Enabled",
    "Date Created",
    "Last Login",
    "Groups",
]
ROWS = [
    [
        "ann@example.com",
        "Ann",
        "Archer",
        "learner",
        "true",
        "2024-01-10",
        "2025-11-02 09:15",
        "Sales",
    ],
    ["Bob@Example.com", "Bob", "Baker", "admin", "true", "2023-05-01", "2026-01-20 17:40", "Ops"],
    ["cara@example.com", "Cara", "Cole", "manager", "false", "2022-03-03", "", ""],
    ["dan@example.com", "Dan", "Dunn", "learner", "true", "2025-09-01", "", "Sales"],
    ["eve@example.com", "Eve", "Ellis", "instructor", "true", "2024-07-15", "2025-06-30 08:00", ""],
    ["fay@example.com", "Fay", "Flynn", "learner", "true", "2024-02-29", "2026-02-01 10:00", "Ops"],
]
COL = {name: i for i, name in enumerate(HEADER)}

ENCODING = r"encod|utf-?8"
NO_IDENTITY = r"e-?mail|username"
FIELD_COUNT = r"field|column|value|cell"
DATE = r"date|time"

CASES: list[dict[str, Any]] = []


def _cell(value: str, sep: str) -> str:
    if any(ch in value for ch in (sep, '"', "\n", "\r")):
        return '"' + value.replace('"', '""') + '"'
    return value


def text(header: list[str], rows: list[list[str]], sep: str = ",", eol: str = "\n") -> str:
    """Return CSV text with RFC 4180 quoting where needed and `eol` after every line."""
    lines = [sep.join(_cell(v, sep) for v in line) for line in [header, *rows]]
    return "".join(line + eol for line in lines)


def rows_with(index: int, column: str, value: str) -> list[list[str]]:
    """Return a copy of ROWS with one cell changed (index into ROWS; spreadsheet row index+2)."""
    out = [list(r) for r in ROWS]
    out[index][COL[column]] = value
    return out


def case(
    file: str,
    data: bytes,
    what: str,
    expect: str,
    *,
    row: int | None = None,
    column: str | None = None,
    phrase: str | None = None,
    users: int | None = None,
    activity_rows: int = 0,
    activity_unmatched: int = 0,
    activity_stored: int | None = None,
    role: str = "users",
    with_users: str | None = None,
    options: dict[str, Any] | None = None,
    checks: list[tuple[str, Any]] = (),
    notes: str | None = None,
    known_gap: str | None = None,
    write: bool = True,
) -> None:
    """Write one corpus file and record what a reviewer should see when it is loaded."""
    assert expect in ("load", "refuse")
    if write:
        (HERE / file).write_bytes(data)
    CASES.append(
        {
            "file": file,
            "what": what,
            "role": role,
            "with_users": with_users,
            "options": options or {},
            "expect": expect,
            "exit": 0 if expect == "load" else 2,
            "row": row,
            "column": column,
            "phrase": phrase,
            "users": users,
            "activity_rows": activity_rows,
            "activity_unmatched": activity_unmatched,
            "activity_stored": activity_rows if activity_stored is None else activity_stored,
            "checks": [{"sql": q, "value": v} for q, v in checks],
            "notes": notes,
            "known_gap": known_gap,
        }
    )


def _png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + b"\xff\x00\x00" * 2 + b"\x00" + b"\x00\x00\xff" * 2)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in members.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, body)
    return buf.getvalue()


def _xlsx() -> bytes:
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    cells = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{v}</t></is></c></row>'
        for r, v in enumerate(["Email", "ann@example.com"], start=1)
    )
    return _zip(
        {
            "[Content_Types].xml": (
                b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats'
                b'.org/package/2006/content-types"><Default Extension="rels" ContentType="applicati'
                b'on/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" Conten'
                b'tType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="appli'
                b'cation/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override'
                b' PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats'
                b'-officedocument.spreadsheetml.worksheet+xml"/></Types>'
            ),
            "_rels/.rels": (
                b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxm'
                b'lformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://sch'
                b'emas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target='
                b'"xl/workbook.xml"/></Relationships>'
            ),
            "xl/workbook.xml": (
                f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{ns}" xmlns:r="{rel}">'
                '<sheets><sheet name="Users" sheetId="1" r:id="rId1"/></sheets></workbook>'
            ).encode(),
            "xl/_rels/workbook.xml.rels": (
                b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxm'
                b'lformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://sch'
                b'emas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="work'
                b'sheets/sheet1.xml"/></Relationships>'
            ),
            "xl/worksheets/sheet1.xml": (
                f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{ns}"><sheetData>'
                f"{cells}</sheetData></worksheet>"
            ).encode(),
        }
    )


def build() -> None:
    """Write every corpus file and the manifest."""
    n = len(ROWS)
    utf8 = text(HEADER, ROWS).encode()
    key = "SELECT {} FROM accounts WHERE snapshot_id = ? AND user_key = '{}'"

    # -- valid baselines -------------------------------------------------------------------------
    case(
        "ok_users.csv",
        utf8,
        "a clean users report (the baseline)",
        "load",
        users=n,
        checks=[
            (key.format("email", "bob@example.com"), "Bob@Example.com"),
            (key.format("enabled", "cara@example.com"), False),
            (
                key.format("CAST(last_sign_in_at AS VARCHAR)", "ann@example.com"),
                "2025-11-02 09:15:00",
            ),
        ],
    )
    case(
        "ok_crlf_bom.csv",
        b"\xef\xbb\xbf" + text(HEADER, ROWS, eol="\r\n").encode(),
        "UTF-8 with BOM and CRLF line ends (what Excel writes)",
        "load",
        users=n,
        checks=[(key.format("first_name", "ann@example.com"), "Ann")],
    )

    # -- encodings -------------------------------------------------------------------------------
    names = rows_with(0, "First Name", "Zoë")
    names[1][COL["Last Name"]] = "O’Brien"
    case(
        "enc_utf16_bom_tab.csv",
        text(HEADER, names, sep="\t", eol="\r\n").encode("utf-16"),
        "UTF-16 with BOM, tab-separated (Excel 'Unicode text')",
        "load",
        users=n,
        checks=[(key.format("first_name", "ann@example.com"), "Zoë")],
    )
    case(
        "enc_utf16le_no_bom.csv",
        text(HEADER, names, eol="\r\n").encode("utf-16-le"),
        "UTF-16LE without a BOM: every other byte is NUL, so the encoding is recognisable",
        "load",
        users=n,
        checks=[(key.format("last_name", "bob@example.com"), "O’Brien")],
    )
    case(
        "enc_cp1252.csv",
        text(HEADER, rows_with(0, "First Name", "José")).encode("cp1252"),
        "legacy Windows-1252 (é as one byte 0xE9)",
        "load",
        users=n,
        checks=[(key.format("first_name", "ann@example.com"), "José")],
    )
    bad = text(HEADER, ROWS[:2]).encode() + b"cara@example.com,Cara,C\x81o\x8dle,manager,false,"
    bad += b"2022-03-03,,\n" + text(HEADER, ROWS[3:]).encode().split(b"\n", 1)[1]
    case(
        "enc_invalid_utf8_not_cp1252.csv",
        bad,
        "bytes 0x81/0x8D are neither UTF-8 nor Windows-1252: guessing would corrupt names",
        "refuse",
        row=4,
        phrase=ENCODING,
    )
    mixed = text(HEADER, rows_with(0, "First Name", "Zoë")).encode()
    mixed = mixed.replace(b"Dan,", "Dané,".encode("cp1252"))
    case(
        "enc_mixed_utf8_cp1252.csv",
        mixed,
        "UTF-8 file with one row pasted in Windows-1252 (mixed encodings)",
        "refuse",
        row=5,
        phrase=ENCODING,
    )
    case(
        "enc_nul_bytes.csv",
        utf8.replace(b"Eve,", b"E\x00ve,"),
        "a NUL byte inside a field (a damaged or binary file)",
        "refuse",
        row=6,
        phrase=r"NUL|null byte|binary|control",
    )
    case(
        "bin_png_renamed.csv",
        _png(),
        "a PNG image renamed .csv",
        "refuse",
        phrase=r"not a (CSV|text)|image|PNG|binary",
    )
    case(
        "bin_xlsx_renamed.csv",
        _xlsx(),
        "an Excel workbook (XLSX) renamed .csv",
        "refuse",
        phrase=r"Excel|XLSX|workbook|spreadsheet",
    )
    case(
        "bin_zip_renamed.csv",
        _zip({"users.csv": utf8}),
        "a ZIP archive renamed .csv",
        "refuse",
        phrase=r"ZIP|archive|compressed|not a (CSV|text)|binary",
    )

    # -- separators ------------------------------------------------------------------------------
    case(
        "sep_semicolon.csv",
        text(HEADER, ROWS, sep=";").encode(),
        "semicolon-separated (European Excel)",
        "load",
        users=n,
    )
    case("sep_tab.csv", text(HEADER, ROWS, sep="\t").encode(), "tab-separated", "load", users=n)
    case(
        "sep_pipe.csv",
        text(HEADER, ROWS, sep="|").encode(),
        "pipe-separated (some report tools): the separator is as easy to detect as ';'",
        "load",
        users=n,
    )
    lines = text(HEADER, ROWS).split("\n")
    lines[3] = lines[3].replace(",", ";")
    case(
        "sep_mixed.csv",
        "\n".join(lines).encode(),
        "comma file with one row written with semicolons",
        "refuse",
        row=4,
        phrase=FIELD_COUNT,
    )

    # -- quoting ---------------------------------------------------------------------------------
    quoted = rows_with(0, "Last Name", 'Archer, "Annie"\nof Sales')
    case(
        "quote_comma_newline_ok.csv",
        text(HEADER, quoted).encode(),
        "a quoted field holding a comma, quotes and a line break (valid RFC 4180)",
        "load",
        users=n,
        checks=[(key.format("last_name", "ann@example.com"), 'Archer, "Annie"\nof Sales')],
    )
    lines = text(HEADER, ROWS).split("\n")
    lines[2] = lines[2].replace("Bob,Baker", 'Bob,"Baker')
    case(
        "quote_unclosed.csv",
        "\n".join(lines).encode(),
        "a quote opened in row 3 and never closed: the rest of the file would become one cell",
        "refuse",
        row=3,
        phrase=r"quot",
    )
    lines = text(HEADER, ROWS).split("\n")
    lines[4] = lines[4].replace("Dan,Dunn", 'Dan,"Dunn"x')
    case(
        "quote_stray_after_closing.csv",
        "\n".join(lines).encode(),
        'text after a closing quote ("Dunn"x): malformed quoting',
        "refuse",
        row=5,
        phrase=r"quot",
    )
    case(
        "quote_inside_unquoted_ok.csv",
        text(HEADER, rows_with(3, "Last Name", 'O"Dunn')).encode().replace(b'"O""Dunn"', b'O"Dunn'),
        'a literal quote inside an unquoted field (O"Dunn), as many exports write it',
        "load",
        users=n,
        checks=[(key.format("last_name", "dan@example.com"), 'O"Dunn')],
    )

    # -- headers ---------------------------------------------------------------------------------
    no_id = [h for h in HEADER if h != "Email"]
    case(
        "hdr_no_identity.csv",
        text(no_id, [r[1:] for r in ROWS]).encode(),
        "no e-mail or username column",
        "refuse",
        row=1,
        phrase=NO_IDENTITY,
    )
    work = ["Work Mail", *HEADER[1:]]
    case(
        "hdr_unknown_identity_name.csv",
        text(work, ROWS).encode(),
        "identity under an unknown title: refused with a hint to map it",
        "refuse",
        row=1,
        phrase=r"--map|map",
    )
    case(
        "hdr_unknown_identity_name.csv",
        b"",
        "the same file with --map 'Work Mail=email'",
        "load",
        users=n,
        options={"mapping": {"Work Mail": "email"}},
        write=False,
    )
    case(
        "hdr_duplicate_names.csv",
        text([*HEADER[:6], "Email", "Groups"], ROWS).encode(),
        "two columns titled Email: which one identifies the account is unknowable",
        "refuse",
        row=1,
        column="Email",
        phrase=r"twice|duplicate|more than once|same|2 columns",
    )
    case(
        "hdr_duplicate_alias.csv",
        text(
            [*HEADER, "Email Address"], [[*r, f"x{i}@example.com"] for i, r in enumerate(ROWS)]
        ).encode(),
        "two columns that both mean e-mail: the preferred alias ('Email') is the identity",
        "load",
        users=n,
        checks=[(key.format("email", "bob@example.com"), "Bob@Example.com")],
    )
    case(
        "hdr_empty_cell.csv",
        text([*HEADER[:3], "", *HEADER[3:]], [[*r[:3], "x", *r[3:]] for r in ROWS]).encode(),
        "an untitled column with values in the middle (ignored: no field needs it)",
        "load",
        users=n,
    )
    case(
        "hdr_only.csv",
        text(HEADER, []).encode(),
        "a header and no accounts",
        "refuse",
        phrase=r"no (accounts|users|rows|data)|empty",
    )
    case("empty.csv", b"", "an empty file (0 bytes)", "refuse", phrase=r"empty|no (data|header)")
    case(
        "whitespace_only.csv",
        b" \r\n\t\n   \n\n",
        "only spaces and blank lines",
        "refuse",
        phrase=r"empty|blank|no (data|header)",
    )
    case(
        "hdr_notes_row_above.csv",
        ("Users report,generated 2026-03-01 by LearnUpon\n" + text(HEADER, ROWS)).encode(),
        "a title line above the header: row 1 is not the header",
        "refuse",
        row=1,
        phrase=NO_IDENTITY,
    )
    two = ["User", "", "", "", "Account", "Dates", "", ""]
    case(
        "hdr_two_header_rows.csv",
        text(two, [HEADER, *ROWS]).encode(),
        "merged header cells exported as two header lines",
        "refuse",
        row=1,
        phrase=NO_IDENTITY,
    )
    case(
        "hdr_trailing_empty_columns.csv",
        text([*HEADER, "", "", ""], [[*r, "", "", ""] for r in ROWS]).encode(),
        "trailing empty columns (Excel's used range): harmless",
        "load",
        users=n,
    )
    bom_title = text(HEADER, ROWS).replace("Last Login", "\ufeffLast Login", 1)
    case(
        "hdr_bom_inside_title.csv",
        bom_title.encode(),
        "a BOM glued to a header title in the middle (concatenated text)",
        "load",
        users=n,
        checks=[
            (
                key.format("CAST(last_sign_in_at AS VARCHAR)", "ann@example.com"),
                "2025-11-02 09:15:00",
            )
        ],
    )
    concat = text(HEADER, ROWS[:3]).encode() + b"\xef\xbb\xbf" + text(HEADER, ROWS[3:]).encode()
    case(
        "bom_mid_file_concatenated.csv",
        concat,
        "two exports pasted together: a BOM and a second header on row 5",
        "refuse",
        row=5,
        phrase=r"header|e-?mail|status|date",
    )

    # -- rows ------------------------------------------------------------------------------------
    lines = text(HEADER, ROWS).split("\n")
    lines[3] += ",extra"
    case(
        "row_too_many_fields.csv",
        "\n".join(lines).encode(),
        "one row with 9 fields, header 8",
        "refuse",
        row=4,
        phrase=FIELD_COUNT,
    )
    lines = text(HEADER, ROWS).split("\n")
    lines[5] = lines[5].rsplit(",", 2)[0]
    case(
        "row_too_few_fields.csv",
        "\n".join(lines).encode(),
        "one row with 6 fields, header 8",
        "refuse",
        row=6,
        phrase=FIELD_COUNT,
    )
    multi = rows_with(0, "Last Name", "Archer\nSecond line")
    multi[2] += ["extra"]
    case(
        "row_numbering_after_multiline_cell.csv",
        text(HEADER, multi).encode(),
        "a bad row after a cell with a line break: the row is the spreadsheet row (4), "
        "not the line number (5)",
        "refuse",
        row=4,
        phrase=FIELD_COUNT,
    )
    blank_then_bad = (
        text(HEADER, ROWS[:1])
        + "\n"
        + text(HEADER, rows_with(1, "Enabled", "maybe")[1:]).split("\n", 1)[1]
    )
    case(
        "row_blank_line_then_bad_status.csv",
        blank_then_bad.encode(),
        "a blank line, then a bad status: a spreadsheet shows the bad row as row 4",
        "refuse",
        row=4,
        column="Enabled",
        phrase=r"status|true|yes",
    )
    case(
        "row_blank_email.csv",
        text(HEADER, rows_with(2, "Email", "  ")).encode(),
        "an account with a blank e-mail",
        "refuse",
        row=4,
        column="Email",
        phrase=r"empty|blank|missing|no e-?mail",
    )
    case(
        "row_invalid_email.csv",
        text(HEADER, rows_with(3, "Email", "dan at example")).encode(),
        "an e-mail without @ (probably the wrong column)",
        "refuse",
        row=5,
        column="Email",
        phrase=r"e-?mail",
    )
    case(
        "row_duplicate_case.csv",
        text(HEADER, rows_with(4, "Email", " ANN@example.COM")).encode(),
        "the same account twice, differing in case and spaces",
        "refuse",
        row=6,
        column="Email",
        phrase=r"duplicate|twice|more than once",
    )
    totals = text(HEADER, ROWS) + f"Total,,,,,,,{n}\n"
    case(
        "row_totals_at_end.csv",
        totals.encode(),
        "a totals row under the accounts: the row number is what the reviewer needs",
        "refuse",
        row=n + 2,
        column="Email",
        phrase=r"e-?mail|total",
    )
    case(
        "row_padded_email_ok.csv",
        text(HEADER, rows_with(0, "Email", "  Ann@Example.com ")).encode(),
        "spaces around an e-mail are trimmed; the key is lower-cased",
        "load",
        users=n,
        checks=[(key.format("email", "ann@example.com"), "Ann@Example.com")],
    )
    case(
        "row_blank_lines_ok.csv",
        (text(HEADER, ROWS[:3]) + "\n\n" + text(HEADER, ROWS[3:]).split("\n", 1)[1]).encode(),
        "blank lines between accounts carry no data",
        "load",
        users=n,
    )

    # -- dates -----------------------------------------------------------------------------------
    case(
        "date_unparseable.csv",
        text(HEADER, rows_with(1, "Last Login", "last tuesday")).encode(),
        "a last-login value that is no date",
        "refuse",
        row=3,
        column="Last Login",
        phrase=DATE,
    )
    case(
        "date_excel_serial.csv",
        text(HEADER, rows_with(4, "Date Created", "45123")).encode(),
        "an Excel serial day number (45123) instead of a date",
        "refuse",
        row=6,
        column="Date Created",
        phrase=DATE,
    )
    amb = [list(r) for r in ROWS]
    for r, v in zip(
        amb,
        ["03/04/2024", "01/05/2023", "03/03/2022", "01/09/2025", "07/06/2024", "02/01/2024"],
        strict=True,
    ):
        r[COL["Date Created"]] = v
    case(
        "date_ambiguous_day_month.csv",
        text(HEADER, amb).encode(),
        "every date could be D/M or M/D: refused until the reviewer chooses the order, because a "
        "wrong guess moves dates by months without a sign (the issue's bad-input list)",
        "refuse",
        row=3,
        column="Date Created",
        phrase=r"--date-order",
    )
    case(
        "date_ambiguous_day_month.csv",
        b"",
        "the same file with --date-order dmy: read day-first, and the notes say so",
        "load",
        users=n,
        options={"date_order": "dmy"},
        write=False,
        notes=r"day",
        checks=[
            (
                key.format("CAST(CAST(created_at AS DATE) AS VARCHAR)", "ann@example.com"),
                "2024-04-03",
            )
        ],
    )
    case(
        "date_ambiguous_day_month.csv",
        b"",
        "the same file with --date-order mdy",
        "load",
        users=n,
        options={"date_order": "mdy"},
        write=False,
        checks=[
            (
                key.format("CAST(CAST(created_at AS DATE) AS VARCHAR)", "ann@example.com"),
                "2024-03-04",
            )
        ],
    )
    dmy = [list(r) for r in amb]
    dmy[5][COL["Date Created"]] = "29/02/2024"
    case(
        "date_day_first_proven.csv",
        text(HEADER, dmy).encode(),
        "one value (29/02/2024) proves the column is day-first",
        "load",
        users=n,
        checks=[
            (
                key.format("CAST(CAST(created_at AS DATE) AS VARCHAR)", "ann@example.com"),
                "2024-04-03",
            )
        ],
    )
    both = [list(r) for r in dmy]
    both[3][COL["Date Created"]] = "09/13/2025"
    case(
        "date_day_and_month_first_mixed.csv",
        text(HEADER, both).encode(),
        "29/02/2024 proves day-first, 09/13/2025 proves month-first, in one column",
        "refuse",
        column="Date Created",
        phrase=r"day|month|D/M|M/D|order",
    )
    case(
        "date_year_0001.csv",
        text(HEADER, rows_with(0, "Last Login", "0001-01-01 00:00")).encode(),
        "year 0001: a null placeholder from another system, not a sign-in",
        "refuse",
        row=2,
        column="Last Login",
        phrase=r"1970|2099|placeholder|plausib",
    )
    case(
        "date_time_without_date.csv",
        text(HEADER, rows_with(1, "Last Login", "14:32")).encode(),
        "a time of day with no date",
        "refuse",
        row=3,
        column="Last Login",
        phrase=DATE,
    )
    case(
        "date_far_future.csv",
        text(HEADER, rows_with(2, "Date Created", "9999-12-31")).encode(),
        "a creation date in year 9999",
        "refuse",
        row=4,
        column="Date Created",
        phrase=r"1970|2099|placeholder|plausib|future",
    )
    iso = [list(r) for r in ROWS]
    iso[0][COL["Last Login"]] = "2025-11-02T09:15:00Z"
    iso[1][COL["Last Login"]] = "2026-01-20T19:40:00+02:00"
    iso[4][COL["Last Login"]] = "2025-06-30T08:00:00"
    case(
        "date_iso_offsets_ok.csv",
        text(HEADER, iso).encode(),
        "ISO 8601 with Z, with an offset and with none (UTC)",
        "load",
        users=n,
        checks=[
            (
                key.format("CAST(last_sign_in_at AS VARCHAR)", "bob@example.com"),
                "2026-01-20 17:40:00",
            )
        ],
    )

    # -- statuses --------------------------------------------------------------------------------
    case(
        "status_unknown.csv",
        text(HEADER, rows_with(3, "Enabled", "pending")).encode(),
        "an enabled value the product does not know",
        "refuse",
        row=5,
        column="Enabled",
        phrase=r"true|yes|enabled",
    )
    case(
        "status_empty.csv",
        text(HEADER, rows_with(1, "Enabled", "")).encode(),
        "an empty enabled value: a seat cannot be counted",
        "refuse",
        row=3,
        column="Enabled",
        phrase=r"empty|blank|missing|true|yes",
    )
    var = [list(r) for r in ROWS]
    for r, v in zip(var, ["Yes", "1", "Disabled", "ACTIVE", "true", "enabled"], strict=True):
        r[COL["Enabled"]] = v
    case(
        "status_variants_ok.csv",
        text(["Email", *HEADER[1:4], "Account Status", *HEADER[5:]], var).encode(),
        "Account Status with yes/1/Disabled/ACTIVE/true/enabled",
        "load",
        users=n,
        checks=[("SELECT count(*) FROM accounts WHERE snapshot_id = ? AND NOT enabled", 1)],
    )

    # -- activity reports ------------------------------------------------------------------------
    act_header = ["Email", "Login Date", "Course"]
    act_rows = [
        ["ann@example.com", "2026-01-05 10:00", "Safety"],
        ["ANN@EXAMPLE.COM", "2026-02-11 08:30", "Safety"],
        ["bob@example.com", "2025-12-01 12:00", "Onboarding"],
        ["zed@example.com", "2026-01-09 09:00", "Safety"],
        ["dan@example.com", "2025-10-10 16:45", "Compliance, part 2"],
    ]
    case(
        "act_ok.csv",
        text(act_header, act_rows).encode(),
        "an activity report: case-insensitive match, one unknown account",
        "load",
        role="activity",
        with_users="ok_users.csv",
        users=n,
        activity_rows=5,
        activity_unmatched=1,
        checks=[
            (
                key.format("CAST(last_activity_at AS VARCHAR)", "ann@example.com"),
                "2026-02-11 08:30:00",
            )
        ],
    )
    case(
        "act_no_identity.csv",
        text(act_header[1:], [r[1:] for r in act_rows]).encode(),
        "an activity report without an identity column",
        "refuse",
        role="activity",
        with_users="ok_users.csv",
        row=1,
        phrase=r"e-?mail|username|user id|identity",
    )
    case(
        "act_no_timestamp.csv",
        text(["Email", "Course"], [[r[0], r[2]] for r in act_rows]).encode(),
        "an activity report without a timestamp column",
        "refuse",
        role="activity",
        with_users="ok_users.csv",
        row=1,
        phrase=r"timestamp|date|time",
    )
    bad_act = [list(r) for r in act_rows]
    bad_act[2][1] = "yesterday"
    case(
        "act_bad_timestamp.csv",
        text(act_header, bad_act).encode(),
        "an activity row whose timestamp is no date",
        "refuse",
        role="activity",
        with_users="ok_users.csv",
        row=4,
        column="Login Date",
        phrase=DATE,
    )
    empty_act = [list(r) for r in act_rows]
    empty_act[1][1] = ""
    case(
        "act_empty_timestamp.csv",
        text(act_header, empty_act).encode(),
        "an activity row with no timestamp records no activity: skipped, and the product says so",
        "load",
        role="activity",
        with_users="ok_users.csv",
        users=n,
        activity_rows=5,
        activity_stored=4,
        activity_unmatched=1,
        notes=r"skipped",
    )
    ids_header = ["User ID", *HEADER]
    ids_rows = [[str(1000 + i), *r] for i, r in enumerate(ROWS)]
    case(
        "users_with_ids.csv",
        text(ids_header, ids_rows).encode(),
        "users report with a User ID column",
        "load",
        users=n,
    )
    case(
        "act_by_user_id.csv",
        text(
            ["User ID", "Activity Date"],
            [["1000", "2026-03-01 09:00"], ["1003", "2026-02-02"], ["4242", "2026-01-01"]],
        ).encode(),
        "activity identified by user id only",
        "load",
        role="activity",
        with_users="users_with_ids.csv",
        users=n,
        activity_rows=3,
        activity_unmatched=1,
        checks=[
            (
                key.format("CAST(last_activity_at AS VARCHAR)", "dan@example.com"),
                "2026-02-02 00:00:00",
            )
        ],
    )

    # -- sizes -----------------------------------------------------------------------------------
    long_value = "L" * 300_000
    case(
        "size_long_field.csv",
        text(HEADER, rows_with(5, "Last Name", long_value)).encode(),
        "a 300,000-character field",
        "load",
        users=n,
        checks=[(key.format("length(last_name)", "fay@example.com"), 300_000)],
    )
    wide_header = [*HEADER, *(f"Custom {i}" for i in range(1, 4001))]
    wide_rows = [[*r, *(str(i % 7) for i in range(4000))] for r in ROWS]
    case(
        "size_many_columns.csv",
        text(wide_header, wide_rows).encode(),
        "4,008 columns (custom profile fields): the known ones are used",
        "load",
        users=n,
    )

    manifest = {
        "about": "Expected outcome per corpus file; written by tests/corpus/make_corpus.py.",
        "cases": CASES,
    }
    (HERE / "manifest.json").write_text(
        json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    build()
