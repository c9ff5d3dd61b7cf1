"""The command line: parses arguments and calls the same use-case functions as the app's pages.

The commands, their options and their JSON keys are a stable contract (SPEC section 6).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from dashboard.errors import SeatReviewError
from dashboard.store import Store


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; write it as YYYY-MM-DD"
        ) from None


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be 0 or more")
    return value


def _mapping(items: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        header, sep, field = item.rpartition("=")
        if not sep or not header.strip() or not field.strip():
            raise SeatReviewError(
                f"--map {item!r}: write it as 'HEADER=field', for example --map 'Work Mail=email'"
            )
        out[header.strip()] = field.strip()
    return out


def _emit(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")


def _add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--db",
        type=Path,
        default=None,
        help="DuckDB file (default: $LU_SEATS_DB, else data/seats.duckdb in the project)",
    )


def _add_rules(p: argparse.ArgumentParser) -> None:
    cut = p.add_mutually_exclusive_group()
    cut.add_argument("--cutoff", type=_date, help="flag accounts inactive since this date")
    cut.add_argument(
        "--inactive-days", type=_non_negative, help="cutoff = N days before as_of (default 90)"
    )
    p.add_argument("--as-of", type=_date, help="override the snapshot's as_of date")
    p.add_argument("--seat-limit", type=_non_negative, help="seats bought (default: settings)")
    p.add_argument(
        "--protect-type",
        action="append",
        metavar="TYPE",
        help="user type never flagged (repeatable; replaces the default 'admin'; 'none' for none)",
    )
    p.add_argument("--protect-domain", action="append", default=[], metavar="DOMAIN")
    p.add_argument("--protect-group", action="append", default=[], metavar="GROUP")
    p.add_argument("--keep", type=Path, help="file with one e-mail per line never to flag")
    p.add_argument(
        "--grace-days", type=_non_negative, help="protect accounts created in the last N days"
    )
    p.add_argument("--snapshot", type=int, help="snapshot id (default: the latest)")


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of `lu-seats` / `python -m dashboard`."""
    parser = argparse.ArgumentParser(
        prog="lu-seats",
        description="Review LearnUpon seats before a renewal and write the Batch upload files.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("load", help="load a users report and its activity reports as a snapshot")
    _add_db(p)
    p.add_argument("users", type=Path, metavar="USERS.csv")
    p.add_argument("--activity", type=Path, action="append", default=[], metavar="FILE")
    p.add_argument("--as-of", type=_date, help="the date the data describes (default: today)")
    p.add_argument(
        "--map", action="append", default=[], metavar="'HEADER=field'", help="map a header"
    )
    p.add_argument("--date-order", choices=["dmy", "mdy"], help="for ambiguous D/M dates")
    p.add_argument("--timezone", help="time zone of timestamps without an offset (default UTC)")

    p = sub.add_parser("sync", help="pull users from the LearnUpon REST API as a snapshot")
    _add_db(p)
    where = p.add_mutually_exclusive_group()
    where.add_argument("--portal", help="portal NAME in https://NAME.learnupon.com")
    where.add_argument(
        "--base-url", help="API base URL replacing https://NAME.learnupon.com/api/v1"
    )
    p.add_argument("--as-of", type=_date)

    p = sub.add_parser("review", help="categorise accounts and compute seat figures")
    _add_db(p)
    _add_rules(p)
    p.add_argument("--json", action="store_true", help="print one JSON object (the default)")

    p = sub.add_parser("export", help="write the deactivation, undo and review-sheet files")
    _add_db(p)
    _add_rules(p)
    p.add_argument("--out", type=Path, required=True, help="deactivation CSV for Batch upload")
    p.add_argument("--undo-out", type=Path, help="undo CSV (re-enables the same accounts)")
    p.add_argument("--sheet-out", type=Path, help="review sheet CSV for approvers")
    p.add_argument("--template", type=Path, help="the portal's Batch upload example file")

    p = sub.add_parser("history", help="list the export audit log")
    _add_db(p)

    p = sub.add_parser("snapshots", help="list the loaded snapshots")
    _add_db(p)

    p = sub.add_parser("sql", help="run a read-only SQL query in the sandbox")
    _add_db(p)
    p.add_argument("query")
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    p.add_argument(
        "--snapshot", type=int, help="snapshot whose rows the views show (default latest)"
    )

    p = sub.add_parser("demo", help="write the bundled demo portal and load it")
    _add_db(p)
    p.add_argument("--regenerate", action="store_true", help="rewrite data/demo/*.csv first")

    p = sub.add_parser("bench", help="benchmark against pandas and bare DuckDB")
    p.add_argument("--users", type=int, default=100_000)
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--json", action="store_true", help="print only the JSON result")
    p.add_argument("--workdir", type=Path, help="where to write the generated data")
    p.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run the jobs N times, interleaved, and report each job's median run",
    )
    return parser


def _rules(args: argparse.Namespace, store: Store):
    from dashboard.review import rules_from_options

    keep: list[str] = []
    if args.keep is not None:
        from dashboard.review import read_keep_file

        keep = read_keep_file(args.keep)
    return rules_from_options(
        store,
        cutoff=args.cutoff,
        inactive_days=args.inactive_days,
        protect_types=args.protect_type,
        protect_domains=args.protect_domain,
        protect_groups=args.protect_group,
        keep=keep,
        grace_days=args.grace_days,
    )


def _run(args: argparse.Namespace) -> int:
    store = Store(args.db) if getattr(args, "db", None) is not None else Store()
    cmd = args.command
    if cmd == "load":
        from dashboard.loading import ReportFile, load_reports

        result = load_reports(
            store,
            ReportFile.from_path(args.users),
            [ReportFile.from_path(p) for p in args.activity],
            as_of=args.as_of,
            mapping=_mapping(args.map),
            date_order=args.date_order,
            timezone=args.timezone,
        )
        for note in result.notes:
            print(note, file=sys.stderr)
        _emit(result.to_json())
    elif cmd == "sync":
        from dashboard.syncing import sync_from_settings

        result = sync_from_settings(
            store, portal=args.portal, base_url=args.base_url, as_of=args.as_of
        )
        for note in result.notes:
            print(note, file=sys.stderr)
        _emit(result.to_json())
    elif cmd == "review":
        from dashboard.review import review

        result = review(
            store,
            _rules(args, store),
            snapshot_id=args.snapshot,
            as_of=args.as_of,
            seat_limit=args.seat_limit,
        )
        _emit(result.to_json())
    elif cmd == "export":
        from dashboard.exporting import export_to_files

        result = export_to_files(
            store,
            _rules(args, store),
            snapshot_id=args.snapshot,
            as_of=args.as_of,
            seat_limit=args.seat_limit,
            out=args.out,
            undo_out=args.undo_out,
            sheet_out=args.sheet_out,
            template=args.template,
            actor="cli",
        )
        _emit(result.to_json())
    elif cmd == "history":
        from dashboard.exporting import export_history

        _emit({"exports": export_history(store)})
    elif cmd == "snapshots":
        _emit({"snapshots": [s.__dict__ for s in store.snapshots()]})
    elif cmd == "sql":
        from dashboard.sandbox import run_query

        result = run_query(store, args.query, snapshot_id=args.snapshot)
        sys.stdout.write(result.to_csv() if args.format == "csv" else result.to_json())
    elif cmd == "demo":
        from dashboard.demo import load_demo

        _emit(load_demo(store, regenerate=args.regenerate).to_json())
    elif cmd == "bench":
        from dashboard.bench import run_bench

        run_bench(
            users=args.users,
            events=args.events,
            workdir=args.workdir,
            quiet=args.json,
            repeat=args.repeat,
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (0 ok, 2 bad input, 3 sync failed)."""
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except SeatReviewError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted; nothing was changed", file=sys.stderr)
        return 130
