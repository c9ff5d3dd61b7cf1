"""Tiny inline portals for the review and export tests, written straight into a fresh store."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from dashboard.store import Snapshot, Store

ACCOUNT_COLUMNS = (
    "snapshot_id, account_no, user_key, user_id, email, username, first_name, last_name, "
    "user_type, enabled, created_at, last_sign_in_at, sign_in_count, groups, account_expires, "
    "last_activity_at"
)


def ts(text: str | None) -> datetime | None:
    """Return a naive UTC timestamp from 'YYYY-MM-DD[ HH:MM[:SS]]', or None."""
    return None if text is None else datetime.fromisoformat(text)


def account(email: str | None = None, **fields: Any) -> dict[str, Any]:
    """Return one accounts row with harmless defaults (an enabled learner, created long ago)."""
    row: dict[str, Any] = {
        "user_id": None,
        "email": email,
        "username": None,
        "first_name": None,
        "last_name": None,
        "user_type": "learner",
        "enabled": True,
        "created_at": "2024-01-01",
        "last_sign_in_at": None,
        "sign_in_count": None,
        "groups": None,
        "account_expires": None,
        "last_activity_at": None,
    }
    row.update(fields)
    if "user_key" not in row:
        row["user_key"] = (row["email"] or row["username"]).strip().lower()
    for name in ("created_at", "last_sign_in_at", "last_activity_at"):
        if isinstance(row[name], str):
            row[name] = ts(row[name])
    return row


def add_snapshot(
    store: Store,
    rows: list[dict[str, Any]],
    *,
    as_of: date = date(2026, 3, 31),
    identity: str = "email",
    label: str = "inline",
) -> int:
    """Write `rows` (from `account`) as a new snapshot in one transaction; return its id."""
    with store.write() as cur:
        snapshot_id = Store.next_snapshot_id(cur)
        Store.insert_snapshot(
            cur,
            Snapshot(
                snapshot_id=snapshot_id,
                source="csv",
                label=label,
                files=[{"name": "users.csv", "kind": "users", "sha256": "0" * 64, "rows": 0}],
                as_of=as_of,
                loaded_at=datetime.now(UTC).replace(tzinfo=None),
                identity=identity,
                users=len(rows),
                activity_rows=0,
                activity_unmatched=0,
                is_demo=False,
            ),
        )
        for number, row in enumerate(rows, start=1):
            cur.execute(
                f"INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    snapshot_id,
                    number,
                    row["user_key"],
                    row["user_id"],
                    row["email"],
                    row["username"],
                    row["first_name"],
                    row["last_name"],
                    row["user_type"],
                    row["enabled"],
                    row["created_at"],
                    row["last_sign_in_at"],
                    row["sign_in_count"],
                    row["groups"],
                    row["account_expires"],
                    row["last_activity_at"],
                ],
            )
    return snapshot_id
