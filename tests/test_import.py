"""`jkwatch import`: standalone documents become tagged items; re-importing updates, never duplicates."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.models import Feed, Item, ItemTheme
from jkwatch.ingest.documents import DocumentError, document_entry, read_document
from tests.feedserver import FeedServer, Response
from tests.processes import invoke as run

FEEDS = Path(__file__).parent / "fixtures" / "feeds"

ESSAY = """Seoul and Tokyo weigh deeper defence ties

South Korea and Japan agreed to expand GSOMIA intelligence sharing after North Korea
fired another ballistic missile, officials in Seoul and Tokyo said.

The two governments also discussed joint drills with the United States and the
extended deterrence that the US nuclear umbrella provides.
"""

HTML = """<!DOCTYPE html><html><head><title>Analysis: Japan and South Korea after the missile launch</title>
<meta name="description" content="x"></head><body>
<nav><a href="/">Home</a> | <a href="/world">World</a></nav>
<article><h1>Analysis: Japan and South Korea after the missile launch</h1>
<p>North Korea fired a ballistic missile into the East Sea on Monday, and Seoul and Tokyo
moved quickly to share missile warning data under GSOMIA, a sign of how far defence ties
have come since the 2019 dispute.</p>
<p>Officials in both capitals said joint drills with the United States would continue, and
analysts said the two countries' defence ministers would meet again before the end of the
year to discuss extended deterrence.</p>
</article><footer>Copyright 2026 Example Media. All rights reserved.</footer>
<script>track()</script></body></html>"""


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as srv:
        yield srv


def stored(db_url: str) -> list[tuple[Item, Feed, list[str]]]:
    engine = make_engine(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            rows = session.execute(
                select(Item, Feed).join(Feed, Feed.id == Item.feed_id).order_by(Item.id)
            ).all()
            out = []
            for item, feed in rows:
                themes = session.scalars(
                    select(ItemTheme.theme_id).where(ItemTheme.item_id == item.id)
                ).all()
                out.append((item, feed, list(themes)))
            return out
    finally:
        engine.dispose()


def test_text_file_is_imported_as_a_tagged_item_in_the_import_feed(
    db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "essay.txt"
    path.write_text(ESSAY, "utf-8")
    result = run(db_url, "import", str(path), "--published", "2026-11-02", "--source", "essays")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("imported: Seoul and Tokyo weigh deeper defence ties")
    ((item, feed, themes),) = stored(db_url)
    assert feed.kind == "import" and feed.url == "import:essays" and not feed.enabled
    assert item.title == "Seoul and Tokyo weigh deeper defence ties"
    assert item.language == "en"
    assert item.published_at.isoformat().startswith("2026-11-02T00:00:00")
    assert item.relevant and "jk_cooperation" in themes
    assert item.tagged_with


@pytest.mark.slow
def test_reimporting_the_same_document_updates_instead_of_duplicating(
    sqlite_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "essay.md"
    path.write_text("# Draft title\n\n" + ESSAY, "utf-8")
    assert run(sqlite_url, "import", str(path)).exit_code == 0
    path.write_text("# Final title\n\n" + ESSAY + "\nA new closing paragraph.\n", "utf-8")
    result = run(sqlite_url, "import", str(path))
    assert result.exit_code == 0 and result.stdout.startswith("updated: Final title")
    ((item, _, _),) = stored(sqlite_url)
    assert item.title == "Final title"
    assert "new closing paragraph" in (item.body or item.summary)
    assert run(sqlite_url, "import", str(path)).stdout.startswith("unchanged")


def test_markdown_syntax_is_stripped(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    path.write_text("# A **bold** title\n\n- see [the report](https://x.example)\n", "utf-8")
    document = read_document(str(path))
    assert document.title == "A bold title"
    assert document.text == "see the report"


def test_html_main_text_is_extracted_without_navigation_or_scripts(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(HTML, "utf-8")
    document = read_document(str(path))
    assert document.title.startswith("Analysis: Japan and South Korea")
    assert "GSOMIA" in document.text
    assert "track()" not in document.text and "Home" not in document.text.split()[:3]


def test_url_import_fetches_over_http_and_keys_the_item_by_url(
    sqlite_url: str, server: FeedServer
) -> None:
    url = server.route(
        "/analysis.html?utm_source=x",
        Response(body=HTML.encode(), headers={"Content-Type": "text/html; charset=utf-8"}),
    )
    result = run(sqlite_url, "import", url, "--language", "en")
    assert result.exit_code == 0, result.output
    ((item, feed, _),) = stored(sqlite_url)
    assert feed.url == "import:127.0.0.1"
    assert item.canonical_url == server.url("/analysis.html")


def test_non_http_url_and_missing_file_are_refused_with_exit_2(
    sqlite_url: str, tmp_path: Path
) -> None:
    refused = run(sqlite_url, "import", "ftp://example.com/essay.txt")
    assert refused.exit_code == 2 and "only http and https" in refused.stderr
    missing = run(sqlite_url, "import", str(tmp_path / "nope.txt"))
    assert missing.exit_code == 2 and "no such file" in missing.stderr


def test_empty_document_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text("  \n\n", "utf-8")
    with pytest.raises(DocumentError, match="no text"):
        read_document(str(path))


def test_document_without_a_date_is_flagged_missing(tmp_path: Path) -> None:
    path = tmp_path / "essay.txt"
    path.write_text(ESSAY, "utf-8")
    entry = document_entry(read_document(str(path)))
    assert entry.date_flag == "missing"
    assert entry.body is None and "GSOMIA" in entry.summary  # short: the summary holds it all
