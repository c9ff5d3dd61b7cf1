"""Data & settings: upload reports (with column mapping), API sync, snapshots, contract settings."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from dashboard import tabular
from dashboard.contract import load_contract, save_contract
from dashboard.demo import load_demo
from dashboard.errors import InputRefused, SeatReviewError
from dashboard.loading import LoadResult, ReportFile, load_reports
from dashboard.resources import clear_data_caches, get_store
from dashboard.syncing import sync_from_settings
from dashboard.ui import page_start, progress_reporter, show_error

IGNORE = "(not used)"
DATE_ORDERS = {
    None: "From the data (ask when ambiguous)",
    "dmy": "Day first (D/M/YYYY)",
    "mdy": "Month first (M/D/YYYY)",
}
TIMEZONES = [
    "UTC",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Australia/Sydney",
]

store = get_store()
snap = page_start("Data & settings", store, need_data=False)

flash = st.session_state.pop("data_flash", None)
if flash:
    st.success(flash["text"], icon=":material/check_circle:")
    for note in flash["notes"]:
        st.info(note, icon=":material/info:")

upload_tab, sync_tab, snapshots_tab, contract_tab = st.tabs(
    ["Upload reports", "Sync from the API", "Snapshots", "Contract"]
)


def _load(
    users: UploadedFile,
    activity: list[UploadedFile],
    *,
    as_of: date | None,
    date_order: str | None,
    timezone: str,
    mapping: dict[str, str],
) -> None:
    """Write the uploads to a temporary folder and load them as one snapshot."""
    with (
        tempfile.TemporaryDirectory(prefix="lu-seats-upload-") as tmp,
        st.status("Loading reports…", expanded=True) as status,
    ):
        folder = Path(tmp)
        files = []
        for i, upload in enumerate([users, *activity]):
            # Keep the uploaded name: refusals and the snapshot name the file the user chose.
            path = folder / str(i) / Path(upload.name).name
            path.parent.mkdir()
            # Copied in chunks: getvalue() would hold a second full copy of a large report.
            upload.seek(0)
            with open(path, "wb") as fh:
                shutil.copyfileobj(upload, fh, 1 << 22)
            files.append(ReportFile(upload.name, path))
        bar = st.progress(0.0, text="Reading files…")
        try:
            result = load_reports(
                store,
                files[0],
                files[1:],
                as_of=as_of,
                mapping=mapping or None,
                date_order=date_order,
                timezone=None if timezone == "UTC" else timezone,
                progress=progress_reporter(bar),
            )
        except InputRefused as exc:
            status.update(label="The reports were not loaded", state="error")
            st.session_state["load_refused"] = {"file": exc.file, "row": exc.row, "text": str(exc)}
            return
        except SeatReviewError as exc:
            status.update(label="The reports were not loaded", state="error")
            st.session_state["load_refused"] = {"file": None, "row": None, "text": str(exc)}
            return
        status.update(label=f"Loaded snapshot #{result.snapshot_id}", state="complete")
    st.session_state.pop("load_refused", None)
    _loaded(result, f"Loaded snapshot #{result.snapshot_id}")


def _loaded(result: LoadResult, what: str) -> None:
    """Remember the outcome of a load or sync and rerun, so every figure shows the new snapshot."""
    clear_data_caches()
    st.session_state["data_flash"] = {
        "text": f"{what}: {result.users:,} accounts, {result.activity_rows:,} activity rows "
        f"({result.activity_unmatched:,} for unknown accounts), data as of {result.as_of}.",
        "notes": list(result.notes),
    }
    st.rerun()


def _mapping_form(upload: UploadedFile, kind: str) -> dict[str, str] | None:
    """Render the column-mapping form for a refused report; return the new mapping on submit."""
    with tempfile.TemporaryDirectory(prefix="lu-seats-headers-") as tmp:
        path = Path(tmp) / Path(upload.name).name
        path.write_bytes(upload.getvalue())
        try:
            headers = tabular.sniff(path, upload.name).headers
        except SeatReviewError:
            return None
    mapping = st.session_state.get("upload_mapping", {})
    options = [IGNORE, *tabular.fields_for(kind)]
    with st.form("mapping_form"):
        st.subheader(f"Map the columns of {upload.name}")
        st.caption("Say which field each column holds; leave the others as not used.")
        chosen = {}
        grid = st.columns(3)
        for i, header in enumerate(headers):
            current = mapping.get(header, IGNORE)
            chosen[header] = grid[i % 3].selectbox(
                header or f"(column {i + 1})",
                options,
                index=options.index(current) if current in options else 0,
                key=f"map_{kind}_{i}",
            )
        if not st.form_submit_button("Retry with this mapping", type="primary"):
            return None
    new = {h: f for h, f in mapping.items() if h not in chosen}
    new.update({h: f for h, f in chosen.items() if f != IGNORE})
    return new


def _take_sync_request() -> None:
    """Move the sync form's values out of its widgets; the credentials live for this run only."""
    st.session_state["sync_request"] = {
        "portal": st.session_state.get("sync_portal") or "",
        "base_url": st.session_state.get("sync_base_url") or "",
        "as_of": st.session_state.get("sync_as_of"),
        "username": st.session_state.get("sync_username") or "",
        "password": st.session_state.get("sync_password") or "",
    }
    st.session_state["sync_username"] = ""
    st.session_state["sync_password"] = ""


with upload_tab:
    st.write(
        "Upload the LearnUpon **users report** and any number of **activity reports** "
        "(CSV: comma, semicolon, tab or pipe separated; UTF-8, UTF-16 or Windows-1252). "
        "They are loaded as one snapshot; a refused file changes nothing."
    )
    users_up = st.file_uploader("Users report", type=["csv", "txt", "tsv"], key="upload_users")
    activity_up = st.file_uploader(
        "Activity reports (optional)",
        type=["csv", "txt", "tsv"],
        accept_multiple_files=True,
        key="upload_activity",
    )
    c1, c2, c3 = st.columns(3)
    as_of = c1.date_input(
        "Data as of",
        value=None,
        help="The date the reports describe. Empty: today.",
        format="YYYY-MM-DD",
        key="upload_as_of",
    )
    date_order = c2.selectbox(
        "Ambiguous dates", list(DATE_ORDERS), format_func=DATE_ORDERS.get, key="upload_dates"
    )
    timezone = c3.selectbox(
        "Time zone of timestamps without an offset",
        TIMEZONES,
        key="upload_tz",
        accept_new_options=True,
    )
    mapping: dict[str, str] = st.session_state.get("upload_mapping", {})
    if mapping:
        st.caption(
            "Column mapping in use: "
            + ", ".join(f"{header!r} → {field}" for header, field in mapping.items())
        )
    if st.button("Load reports", type="primary", disabled=users_up is None, key="upload_go"):
        _load(
            users_up,
            activity_up or [],
            as_of=as_of,
            date_order=date_order,
            timezone=timezone,
            mapping=mapping,
        )

    refused = st.session_state.get("load_refused")
    if refused:
        show_error(refused["text"])
        uploads = {u.name: u for u in [users_up, *(activity_up or [])] if u is not None}
        if refused["row"] == 1 and refused["file"] in uploads:
            upload = uploads[refused["file"]]
            new_mapping = _mapping_form(upload, "users" if upload is users_up else "activity")
            if new_mapping is not None:
                st.session_state["upload_mapping"] = new_mapping
                _load(
                    users_up,
                    activity_up or [],
                    as_of=as_of,
                    date_order=date_order,
                    timezone=timezone,
                    mapping=new_mapping,
                )
                st.rerun()
    if mapping and st.button("Clear the column mapping", key="upload_clear_map"):
        st.session_state.pop("upload_mapping", None)
        st.rerun()


with sync_tab:
    st.write(
        "Pull every user through the LearnUpon REST API (Settings › Integrations › API Keys). "
        "The credentials are used for this run only and never stored; empty fields fall back to "
        "the environment and `.streamlit/secrets.toml`."
    )
    with st.form("sync_form"):
        c1, c2 = st.columns(2)
        c1.text_input(
            "Portal name", placeholder="yourcompany (https://NAME.learnupon.com)", key="sync_portal"
        )
        c2.text_input("or API base URL", placeholder="https://…/api/v1", key="sync_base_url")
        c1, c2, c3 = st.columns(3)
        c1.text_input("API username", type="password", key="sync_username")
        c2.text_input("API password", type="password", key="sync_password")
        c3.date_input("Data as of", value=None, format="YYYY-MM-DD", key="sync_as_of")
        st.form_submit_button("Sync users", type="primary", on_click=_take_sync_request)
    request = st.session_state.pop("sync_request", None)
    if request:
        result = None
        with st.status("Syncing users from LearnUpon…", expanded=True) as status:
            bar = st.progress(0.0, text="Connecting…")
            try:
                result = sync_from_settings(
                    store,
                    portal=request["portal"].strip() or None,
                    base_url=request["base_url"].strip() or None,
                    as_of=request["as_of"],
                    username=request["username"] or None,
                    password=request["password"] or None,
                    progress=progress_reporter(bar),
                )
            except SeatReviewError as exc:
                status.update(label="The sync failed; nothing was changed", state="error")
                show_error(str(exc))
            else:
                status.update(label=f"Synced snapshot #{result.snapshot_id}", state="complete")
        if result is not None:
            _loaded(result, f"Synced snapshot #{result.snapshot_id} from the API")

with snapshots_tab:
    snaps = store.snapshots()
    if snaps:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Snapshot": s.snapshot_id,
                        "Source": "demo" if s.is_demo else s.source,
                        "Name": s.label,
                        "Data as of": s.as_of,
                        "Loaded (UTC)": s.loaded_at,
                        "Accounts": s.users,
                        "Activity rows": s.activity_rows,
                        "Unmatched activity": s.activity_unmatched,
                        "Files": ", ".join(f.get("name", "") for f in s.files),
                    }
                    for s in snaps
                ]
            ),
            hide_index=True,
        )
        st.caption("Every page works on the latest snapshot; older ones feed the seat trend.")
    else:
        st.info("No snapshot yet.", icon=":material/info:")
    if st.button("Reload demo portal", icon=":material/science:", key="reload_demo"):
        with st.spinner("Loading the demo portal…"):
            try:
                result = load_demo(store)
            except SeatReviewError as exc:
                show_error(str(exc))
                result = None
        if result is not None:
            _loaded(result, f"Loaded the demo portal as snapshot #{result.snapshot_id}")

with contract_tab:
    try:
        contract = load_contract(store)
    except SeatReviewError as exc:
        show_error(str(exc))
        contract = None
    if contract is not None:
        st.write(
            "Your LearnUpon contract: it turns the review into seat, tier and savings figures. "
            "Tier prices are not public, so enter yours."
        )
        with st.form("contract_form"):
            c1, c2, c3, c4 = st.columns(4)
            seat_limit = c1.number_input(
                "Seat limit (seats bought)",
                min_value=0,
                value=contract.seat_limit or 0,
                step=1,
                help="0: not known",
            )
            price = c2.number_input(
                "Price per seat per month",
                min_value=0.0,
                value=float(contract.price_per_seat_month or 0.0),
                step=0.5,
                format="%.2f",
                help="0: not known",
            )
            currency = c3.text_input("Currency", value=contract.currency, max_chars=8)
            buffer = c4.number_input(
                "Renewal buffer (%)",
                min_value=0.0,
                max_value=100.0,
                value=round(float(contract.buffer) * 100, 2),
                step=1.0,
            )
            c1, c2, c3 = st.columns(3)
            renewal = c1.date_input(
                "Renewal date", value=contract.renewal_date, format="YYYY-MM-DD"
            )
            notice_days = c2.number_input(
                "Notice period (days)",
                min_value=0,
                value=contract.notice_days,
                step=1,
                placeholder="not known",
            )
            count_disabled = c3.checkbox(
                "Count disabled accounts as seats",
                value=contract.count_disabled,
                help="For sub-portal licensing, where LearnUpon does not release the licence.",
            )
            st.caption("Plan tiers (a tier with no seat cap is a custom plan)")
            tiers = st.data_editor(
                pd.DataFrame(
                    [{"name": t.name, "seats": t.seats} for t in contract.tiers],
                    columns=["name", "seats"],
                ).astype({"seats": "Int64"}),
                num_rows="dynamic",
                hide_index=True,
                column_config={
                    "name": st.column_config.TextColumn("Tier", required=True),
                    "seats": st.column_config.NumberColumn("Seat cap", min_value=1, step=1),
                },
                key="contract_tiers",
            )
            saved = st.form_submit_button("Save contract", type="primary")
        if saved:
            try:
                save_contract(
                    store,
                    {
                        "seat_limit": int(seat_limit) or None,
                        "tiers": [
                            {
                                "name": row["name"],
                                "seats": None if pd.isna(row["seats"]) else int(row["seats"]),
                            }
                            for row in tiers.to_dict("records")
                            if isinstance(row["name"], str) and row["name"].strip()
                        ],
                        "price_per_seat_month": float(price) or None,
                        "currency": currency,
                        "renewal_date": renewal.isoformat() if isinstance(renewal, date) else None,
                        "notice_days": None if notice_days is None else int(notice_days),
                        "buffer": float(buffer) / 100,
                        "count_disabled": bool(count_disabled),
                    },
                )
            except SeatReviewError as exc:
                show_error(str(exc))
            else:
                clear_data_caches()
                st.success("Contract saved.", icon=":material/check_circle:")
