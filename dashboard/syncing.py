"""The API sync: find the portal and credentials, fetch every page, then store one snapshot.

Nothing is written until every page has arrived; the write is `loading.commit_accounts`, one
transaction, so a sync that fails at page 37 of 40 leaves the database exactly as it was.
Credentials come from the caller (the app's form, for the session only), the environment
(`LEARNUPON_API_USERNAME` / `LEARNUPON_API_PASSWORD`) or `.streamlit/secrets.toml` `[learnupon]`,
in that order; they are never printed, logged, stored or put into an error message.
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from dashboard.errors import InputRefused, SyncFailed
from dashboard.learnupon import (
    ApiCredentials,
    LearnUponClient,
    LearnUponError,
    LearnUponUser,
    portal_base_url,
)
from dashboard.loading import LoadResult, commit_accounts
from dashboard.store import PROJECT_ROOT, Store
from dashboard.tabular import USER_FIELDS

ENV_USERNAME = "LEARNUPON_API_USERNAME"
ENV_PASSWORD = "LEARNUPON_API_PASSWORD"
SECRETS_PATH = PROJECT_ROOT / ".streamlit" / "secrets.toml"
WHERE_CREDENTIALS_GO = (
    f"set {ENV_USERNAME} and {ENV_PASSWORD}, or username and password under [learnupon] in "
    ".streamlit/secrets.toml (see .streamlit/secrets.toml.example); the key pair is created "
    "under Settings > Integrations > API Keys in LearnUpon"
)
_PORTAL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", re.IGNORECASE)
_PORTAL_HOST = re.compile(r"^(?:https?://)?([a-z0-9-]+)\.learnupon\.com/?", re.IGNORECASE)

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class SyncTarget:
    """Where to sync from and as whom: the API base URL, a label for the snapshot, credentials."""

    base_url: str
    label: str
    credentials: ApiCredentials


def read_secrets(path: Path | None = None) -> dict[str, Any]:
    """Return the `[learnupon]` table of `.streamlit/secrets.toml` ({} when there is none)."""
    path = SECRETS_PATH if path is None else Path(path)
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        # The decoder's message names a line and column, never the text there.
        where = str(exc).rpartition("(")[2].rstrip(")") if "(" in str(exc) else "somewhere"
        raise SyncFailed(
            f"{path.name} is not valid TOML ({where}); fix it, following "
            ".streamlit/secrets.toml.example"
        ) from None
    table = data.get("learnupon", {})
    if not isinstance(table, dict):
        raise SyncFailed(f"{path.name}: [learnupon] must be a table; see secrets.toml.example")
    return table


def _portal_name(portal: str) -> str:
    text = portal.strip()
    host = _PORTAL_HOST.match(text)
    if host:
        text = host.group(1)
    if not _PORTAL.match(text):
        raise SyncFailed(
            f"{portal!r} is not a portal name: give the NAME in https://NAME.learnupon.com, "
            "or the full API address with --base-url"
        )
    return text.lower()


def _pair(username: Any, password: Any, where: str, source: str) -> ApiCredentials | None:
    username = username.strip() if isinstance(username, str) else None
    password = password if isinstance(password, str) and password != "" else None
    if not username and password is None:
        return None
    if not username or password is None:
        given, missing = ("password", "username") if not username else ("username", "password")
        raise SyncFailed(f"{where} gives the API {given} but not the {missing}; give both")
    return ApiCredentials(username, password, source)


def resolve_target(
    *,
    portal: str | None = None,
    base_url: str | None = None,
    username: str | None = None,
    password: str | None = None,
    secrets_path: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> SyncTarget:
    """Return where to sync from and with which credentials, by precedence.

    Portal or base URL: the arguments, else secrets.toml (its base_url before its portal).
    Credentials: the arguments, else the environment, else secrets.toml.
    """
    environ = os.environ if environ is None else environ
    secrets = read_secrets(secrets_path)
    credentials = (
        _pair(username, password, "the form", "arguments")
        or _pair(
            environ.get(ENV_USERNAME),
            environ.get(ENV_PASSWORD),
            f"the environment ({ENV_USERNAME} / {ENV_PASSWORD})",
            "environment",
        )
        or _pair(
            secrets.get("username"),
            secrets.get("password"),
            ".streamlit/secrets.toml [learnupon]",
            "secrets.toml",
        )
    )
    if base_url is None and portal is None:
        base_url = secrets.get("base_url") or None
        portal = None if base_url else (secrets.get("portal") or None)
    if base_url:
        url = str(base_url).strip().rstrip("/")
        host = httpx.URL(url).host if "://" in url else ""
        if not host:
            raise SyncFailed(
                f"{base_url!r} is not an API address; write it like "
                "https://NAME.learnupon.com/api/v1"
            )
        label = host
    elif portal:
        name = _portal_name(str(portal))
        url, label = portal_base_url(name), name
    else:
        raise SyncFailed(
            "no portal given: use --portal NAME (the NAME in https://NAME.learnupon.com) or "
            "--base-url URL, or set portal under [learnupon] in .streamlit/secrets.toml"
        )
    if credentials is None:
        raise SyncFailed(f"no LearnUpon API credentials for {label}: {WHERE_CREDENTIALS_GO}")
    return SyncTarget(base_url=url, label=label, credentials=credentials)


def accounts_frame(users: Iterable[LearnUponUser]) -> pd.DataFrame:
    """Return API users as a DataFrame with the canonical column names `commit_accounts` takes.

    Timestamps are naive UTC (`datetime64`); `account_expires` is an ISO date text.
    """
    # The users report's canonical fields, less groups (the API's /users does not return them).
    columns: dict[str, list[Any]] = {name: [] for name in USER_FIELDS if name != "groups"}
    for u in users:
        columns["email"].append(u.email)
        columns["username"].append(u.username)
        columns["user_id"].append(u.user_id)
        columns["first_name"].append(u.first_name)
        columns["last_name"].append(u.last_name)
        columns["user_type"].append(u.user_type)
        columns["enabled"].append(u.enabled)
        columns["created_at"].append(u.created_at)
        columns["last_sign_in_at"].append(u.last_sign_in_at)
        columns["sign_in_count"].append(u.sign_in_count)
        columns["account_expires"].append(u.account_expires and u.account_expires.isoformat())
    text = "string"
    return pd.DataFrame(
        {
            "email": pd.Series(columns["email"], dtype=text),
            "username": pd.Series(columns["username"], dtype=text),
            "user_id": pd.Series(columns["user_id"], dtype=text),
            "first_name": pd.Series(columns["first_name"], dtype=text),
            "last_name": pd.Series(columns["last_name"], dtype=text),
            "user_type": pd.Series(columns["user_type"], dtype=text),
            "enabled": pd.Series(columns["enabled"], dtype="boolean"),
            "created_at": pd.Series(columns["created_at"], dtype="datetime64[us]"),
            "last_sign_in_at": pd.Series(columns["last_sign_in_at"], dtype="datetime64[us]"),
            "sign_in_count": pd.Series(columns["sign_in_count"], dtype="Int64"),
            "account_expires": pd.Series(columns["account_expires"], dtype=text),
        }
    )


def _identity(frame: pd.DataFrame) -> str:
    """Return 'username' on a username portal (users without e-mail, all with usernames)."""
    if frame["email"].notna().all() or not frame["username"].notna().all():
        return "email"
    return "username"


# The part of a sync's progress bar given to fetching pages; storing them takes the rest.
FETCH_SHARE = 0.9


def _last_sync_size(store: Store, label: str) -> int | None:
    """Return how many accounts the last API sync of this portal stored (None before the first)."""
    for snap in store.snapshots():
        if snap.source == "api" and snap.label == label:
            return snap.users
    return None


def sync_from_settings(
    store: Store,
    *,
    portal: str | None = None,
    base_url: str | None = None,
    as_of: date | None = None,
    username: str | None = None,
    password: str | None = None,
    progress: Progress | None = None,
    secrets_path: Path | None = None,
    identity: str | None = None,
    **client_options: Any,
) -> LoadResult:
    """Pull every user of the portal and store them as one snapshot; return the LoadResult.

    Raises SyncFailed (exit code 3) with what to do when the portal, the credentials or the
    API fail; the database is then exactly as it was. `progress(fraction, text)` hears of every
    page (pages and accounts so far; the fraction measured against the last sync of the same
    portal, 0.0 on a first sync as LearnUpon never gives a total), then of the commit.
    `client_options` go to LearnUponClient (timeouts, retries, the rate-limit window, an injected
    transport).
    """
    target = resolve_target(
        portal=portal,
        base_url=base_url,
        username=username,
        password=password,
        secrets_path=secrets_path,
    )
    users: list[LearnUponUser] = []
    digest = hashlib.sha256()
    pages = 0
    failure: str | None = None
    # LearnUpon never says how many users there are: the last sync of this portal is the guess.
    expected = _last_sync_size(store, target.label) if progress is not None else None
    try:
        with LearnUponClient(target.base_url, target.credentials, **client_options) as client:
            for page in client.iter_user_pages():
                pages += 1
                digest.update(page.body)
                users.extend(page.users)
                if progress is not None:
                    text = f"Fetched page {page.number}: {len(users):,} accounts so far"
                    if expected:
                        text += f" (the last sync had {expected:,})"
                    share = min(len(users) / expected, 1.0) if expected else 0.0
                    progress(FETCH_SHARE * share, text)
    except LearnUponError as exc:
        failure = str(exc)
    if failure is not None:
        raise SyncFailed(f"sync from {target.label} failed, nothing was changed: {failure}")
    if not users:
        raise SyncFailed(
            f"LearnUpon returned no users for {target.label}; nothing was changed. Check that "
            "the API key belongs to the portal you meant"
        )
    frame = accounts_frame(users)
    del users
    files = [
        {
            "name": f"{target.base_url}/users",
            "kind": "users",
            "sha256": digest.hexdigest(),
            "rows": len(frame),
            "pages": pages,
        }
    ]
    refused: str | None = None
    try:
        return commit_accounts(
            store,
            frame,
            source="api",
            label=target.label,
            files=files,
            as_of=as_of,
            identity=identity or _identity(frame),
            progress=None
            if progress is None
            else lambda fraction, text: progress(FETCH_SHARE + (1 - FETCH_SHARE) * fraction, text),
        )
    except InputRefused as exc:
        refused = str(exc)
    raise SyncFailed(f"the users from {target.label} were not stored: {refused}")
