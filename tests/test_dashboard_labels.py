"""The dashboard's label form (AppTest): only behind the password with a signed-in name, written
through the same action as ``jkwatch label``; the items list marks corrected items."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.models import CorrectionLog, Item, ItemCorrection
from tests.apptest_select import select_row
from tests.seed_dashboard import seeded_database
from tests.test_retag_rollups import _assert_rollups_equal_a_rebuild

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
PASSWORD = "correct horse"


@pytest.fixture
def url(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """A seeded SQLite database of this test's own (the form writes to it)."""
    with seeded_database("sqlite", tmp_path) as seeded:
        monkeypatch.setenv("JKWATCH_DATABASE_URL", seeded)
        st.cache_data.clear()
        st.cache_resource.clear()
        yield seeded
    st.cache_resource.clear()  # the cached engines hold the file open


def _items_page(password: str | None, name: str = "") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    if password:
        at.secrets["password"] = password
    at.run()
    if password:
        at.text_input[0].input(password)
        at.text_input[1].input(name)
        at.button[0].click().run()
    at.switch_page("app_pages/items.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_without_a_password_the_dashboard_stays_read_only(url):
    at = _items_page(None)
    assert not [f for f in at.subheader if f.value == "Correct an item"]
    assert "corrected" in at.dataframe[0].value.columns


def test_signed_in_without_a_name_shows_no_form(url):
    at = _items_page(PASSWORD, name="")
    assert not [f for f in at.subheader if f.value == "Correct an item"]


def test_a_signed_in_analyst_corrects_an_item_through_the_form(url):
    at = _items_page(PASSWORD, name="  Erin   Kim ")
    assert [f for f in at.subheader if f.value == "Correct an item"]
    item_id = at.selectbox(key="label_item").value
    at.radio(key="label_relevant").set_value("yes")
    at.multiselect(key="label_add").set_value(["history_disputes"])
    at.text_input(key="label_note").input("not news")
    next(b for b in at.button if b.label.startswith("Save as")).click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.success and f"item {item_id} is relevant" in at.success[0].value
    sessions = make_sessionmaker(make_engine(url))
    with sessions() as s:
        row = s.get(ItemCorrection, item_id)
        assert row is not None and row.analyst == "Erin Kim" and row.relevant is True
        assert s.scalar(select(Item.relevant).where(Item.id == item_id)) is True
        assert s.scalar(select(CorrectionLog.note).where(CorrectionLog.item_id == item_id)) == (
            "not news"
        )
    _assert_rollups_equal_a_rebuild(sessions)
    # The list (relevant items by default: this one stays) marks the item as corrected, and
    # its evidence names the analyst.
    at.run()
    table = at.dataframe[0].value
    assert bool(table.loc[table["id"] == item_id, "corrected"].iloc[0])
    at = select_row(at, at.dataframe[0], int(table.index[table["id"] == item_id][0]))
    assert any("corrected by Erin Kim" in t.value for t in at.text)
