"""The same-article rule between backfilled entries and stored items (pure)."""

from __future__ import annotations

from datetime import date

from jkwatch.db.backfill import StoredTitle
from jkwatch.ingest.backfill.copies import copies, publisher_domain

DAY = date(2026, 11, 3)
TITLE = "Seoul and Tokyo restore full intelligence pact"


def _stored(url: str | None, site: str | None = None, day: date = DAY, title: str = TITLE):
    return StoredTitle(title, "en", day, url, site)


def test_a_subdomain_and_the_bare_domain_are_one_publisher() -> None:
    assert publisher_domain("https://en.yna.co.kr/view/AEN1") == "yna.co.kr"
    assert publisher_domain("https://www.yna.co.kr") == "yna.co.kr"
    assert publisher_domain("https://news.google.com/rss/articles/CBMi?oc=5") is None
    assert publisher_domain("backfill:gdelt:yna.co.kr") is None


def test_the_same_title_from_the_same_publisher_a_day_apart_is_a_copy() -> None:
    stored = [_stored("https://en.yna.co.kr/view/AEN1", day=date(2026, 11, 2))]
    assert copies([("yna.co.kr", "en", TITLE, DAY)], stored) == {0}


def test_whitespace_and_case_do_not_hide_a_copy() -> None:
    stored = [
        _stored("https://www.yna.co.kr/a", title="Seoul and  Tokyo RESTORE full intelligence pact")
    ]
    assert copies([("yna.co.kr", "en", TITLE, DAY)], stored) == {0}


def test_a_wire_copy_in_another_outlet_is_its_own_item() -> None:
    stored = [_stored("https://www.koreaherald.com/view/1")]
    assert copies([("yna.co.kr", "en", TITLE, DAY)], stored) == set()


def test_the_same_title_two_days_apart_or_in_another_language_is_not_a_copy() -> None:
    stored = [_stored("https://en.yna.co.kr/a", day=date(2026, 11, 1))]
    assert (
        copies([("yna.co.kr", "en", TITLE, DAY), ("yna.co.kr", "ko", TITLE, DAY)], stored) == set()
    )


def test_an_item_stored_under_an_aggregator_link_is_known_by_its_feeds_site() -> None:
    stored = [_stored("https://news.google.com/rss/articles/X?oc=5", site="https://www.yna.co.kr")]
    assert copies([("yna.co.kr", "en", TITLE, DAY)], stored) == {0}


def test_an_entry_whose_publisher_is_unknown_is_never_dropped() -> None:
    assert copies([(None, "en", TITLE, DAY)], [_stored("https://en.yna.co.kr/a")]) == set()
