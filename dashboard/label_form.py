"""The label form of the items page: an analyst's correction of one listed item.

Shown only to a viewer signed in with the dashboard password and a name (``auth``); it writes
through ``data.label``, the same action as ``jkwatch label``, with that name as "by".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from jkwatch.corrections import LabelChange
from jkwatch.dashboard import data

RELEVANCE_CHOICES = ("unchanged", "yes", "no")
NOTE_LIMIT = 500


def label_form(items: Sequence[Any], labels: dict[str, str], analyst: str) -> None:
    """Pick an item of this page, say what is wrong with its tags, save."""
    st.subheader("Correct an item")
    titles = {hit.id: hit.title or "(no title)" for hit in items}
    themes = list(labels)
    with st.form("label_form"):
        item_id = st.selectbox(
            "Item", list(titles), format_func=lambda i: f"{i}: {titles[i][:90]}", key="label_item"
        )
        relevant = st.radio("Relevant", RELEVANCE_CHOICES, horizontal=True, key="label_relevant")
        add = st.multiselect(
            "Add themes", themes, format_func=lambda t: labels.get(t, t), key="label_add"
        )
        remove = st.multiselect(
            "Remove themes", themes, format_func=lambda t: labels.get(t, t), key="label_remove"
        )
        note = st.text_input("Note", max_chars=NOTE_LIMIT, key="label_note")
        reset = st.checkbox(
            "Drop this item's correction (the tagger decides again)", key="label_reset"
        )
        submitted = st.form_submit_button(f"Save as {analyst}")
    if not submitted or item_id is None:
        return
    change = LabelChange(
        analyst=analyst,
        relevant=None if relevant == "unchanged" else relevant == "yes",
        add=tuple(add),
        remove=tuple(remove),
        note=note.strip() or None,
    )
    if reset and not (change.empty and change.note is None):
        st.error("Dropping a correction cannot be combined with other changes.")
        return
    if not reset and change.empty:
        st.error("Nothing to change: choose relevance or themes to add or remove.")
        return
    try:
        result = data.label(data.database_url(), int(item_id), change, reset=reset)
    except data.LabelFailed as exc:
        st.error(f"Not saved: {exc}")
        return
    state = "relevant" if result.tags.relevant else "not relevant"
    shown = ", ".join(labels.get(t.theme_id, t.theme_id) for t in result.tags.themes) or "none"
    st.success(f"Saved: item {item_id} is {state}; themes: {shown}.")
