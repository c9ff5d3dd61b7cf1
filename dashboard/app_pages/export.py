"""Export: pre-flight check, the Batch upload files (deactivation, undo, review sheet), history."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import streamlit as st

from dashboard.errors import SeatReviewError
from dashboard.exporting import build_export, export_history, record_export
from dashboard.resources import cached_review, get_store
from dashboard.ui import current_rules, page_start, show_error, user_errors

BUNDLE_KEY = "export_bundle"

store = get_store()
snap = page_start("Export", store)

with user_errors():
    rules = current_rules(store)
    result = cached_review(store, rules, snap.snapshot_id)

st.write(
    f"Disables the **{result.flagged:,} flagged accounts** of snapshot #{snap.snapshot_id} "
    f"(no activity since {result.cutoff:%Y-%m-%d}, the rules chosen on **Review**) through "
    "LearnUpon's *Batch user upload*, option *update existing users*. Nothing is deleted; the "
    "undo file enables the same accounts again."
)

with st.expander("Use your portal's Batch upload template (optional)"):
    st.write(
        "LearnUpon does not publish the exact column titles of its template. By default the file "
        "is `email,enabled` with `false`. To match your portal exactly, upload the example file "
        "from *Users › Batch Upload › download an example file*: its titles, column order, "
        "separator and true/false spelling are used."
    )
    template_up = st.file_uploader(
        "Batch upload example file", type=["csv", "txt", "tsv"], key="export_template"
    )
template = template_up.getvalue() if template_up is not None else None

# A prepared export belongs to one snapshot, one set of rules and one template.
fingerprint = json.dumps(
    {
        "snapshot": snap.snapshot_id,
        "rules": rules.to_json(),
        "template": hashlib.sha256(template).hexdigest() if template else None,
    },
    sort_keys=True,
)
prepared = st.session_state.get(BUNDLE_KEY)
if prepared and prepared["fingerprint"] != fingerprint:
    prepared = None

if st.button(
    "Prepare export",
    type="primary",
    icon=":material/fact_check:",
    disabled=result.flagged == 0,
    key="export_prepare",
    help="Runs the pre-flight check; when it passes, records the export in the audit log and "
    "offers the files.",
):
    prepared = None
    with st.spinner("Writing the files and checking them…"):
        try:
            bundle = build_export(
                store,
                rules,
                snapshot_id=snap.snapshot_id,
                template=template,
                template_name=template_up.name if template_up is not None else "template",
            )
            export_id = record_export(store, bundle, actor="app") if bundle.ok else None
        except SeatReviewError as exc:
            show_error(str(exc))
        else:
            prepared = {"fingerprint": fingerprint, "bundle": bundle, "export_id": export_id}
    st.session_state[BUNDLE_KEY] = prepared
if result.flagged == 0:
    st.info("No account is flagged under the current rules: there is nothing to export.")

if prepared:
    bundle = prepared["bundle"]
    if not bundle.ok:
        st.error(
            "**Export blocked by the pre-flight check.** Nothing was recorded.\n\n"
            + "\n".join(f"- {problem}" for problem in bundle.problems),
            icon=":material/block:",
        )
    else:
        profile = bundle.profile
        st.success(
            f"**Pre-flight check passed** for {bundle.rows:,} rows: every account exists in the "
            "snapshot, is enabled, flagged and not protected, and appears once; header "
            f"`{profile.header}`; UTF-8; no formula characters. Recorded as export "
            f"#{prepared['export_id']}.",
            icon=":material/verified:",
        )
        names = bundle.names()
        c1, c2, c3 = st.columns(3)
        c1.download_button(
            "Deactivation file",
            data=bundle.deactivation,
            file_name=names["deactivation"],
            mime="text/csv",
            icon=":material/person_off:",
            type="primary",
            on_click="ignore",
            key="export_dl_deactivation",
        )
        c2.download_button(
            "Undo file",
            data=bundle.undo,
            file_name=names["undo"],
            mime="text/csv",
            icon=":material/undo:",
            on_click="ignore",
            key="export_dl_undo",
        )
        if bundle.sheet is not None:
            c3.download_button(
                "Review sheet",
                data=bundle.sheet,
                file_name=names["sheet"],
                mime="text/csv",
                icon=":material/table_view:",
                on_click="ignore",
                key="export_dl_sheet",
            )
        st.caption(
            f"Upload the deactivation file under Users › Batch Upload with *update existing users*"
            f" (separator {profile.separator!r}). Keep the undo file: uploading it enables the "
            "same accounts again."
        )

st.subheader("Export history")
with user_errors():
    history = export_history(store)
if history:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Export": h["export_id"],
                    "When (UTC)": h["exported_at"].replace("T", " ")[:19],
                    "By": h["actor"],
                    "Snapshot": h["snapshot_id"],
                    "Cutoff": h["rules"].get("resolved_cutoff") or h["rules"].get("cutoff"),
                    "Rows": h["counts"].get("rows"),
                    "Files": ", ".join(f["name"] for f in h["files"]),
                    "SHA-256 (deactivation)": next(
                        (f["sha256"] for f in h["files"] if f["kind"] == "deactivation"), None
                    ),
                }
                for h in history[:10_000]
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    st.download_button(
        "Download the audit log (JSON)",
        data=json.dumps({"exports": history}, indent=2),
        file_name="export_history.json",
        mime="application/json",
        icon=":material/download:",
        on_click="ignore",
        key="export_history_json",
    )
else:
    st.caption("No export yet.")
