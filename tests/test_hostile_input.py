"""Hostile input at every edge: search terms, CSV exports, URL schemes, links shown to users.

Feed text and user input are data, never code: search terms are bound parameters whatever
they contain, exported cells never start a spreadsheet formula, only http(s) URLs are ever
fetched or linked.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from jkwatch.dashboard.safe import safe_link
from jkwatch.db.feeds import upsert_feed
from jkwatch.db.items import store_entries
from jkwatch.db.models import Feed, Item
from jkwatch.db.query_filters import Filters
from jkwatch.db.search import search_items
from jkwatch.ingest.normalize import FeedContext, normalize_entry
from jkwatch.ingest.parse import RawEntry
from tests.factories import entry, feed_spec
from tests.processes import invoke

HOSTILE_QUERIES = [
    "x' OR '1'='1",
    "'; DROP TABLE items; --",
    '"',
    '"unclosed phrase',
    "%",
    "_",
    "100%_",
    "missile OR nuclear",
    "NEAR(missile nuclear, 2)",
    "missile*",
    "*",
    "-missile",
    "title:missile",
    "missile AND NOT x",
    "^missile",
    "(((",
    "\\",
    "a:b:c",
    "missile & !nuclear | x",
    "北朝鮮' OR 1=1 --",
    '미사일"*',
]

TITLES = [
    "North Korea fires ballistic missile",
    "Tokyo and Seoul hold talks on radar data",
    '100% of 50_50 budget: O\'Brien says "no"',
    "北朝鮮がミサイルを発射",
    "북한 미사일 발사",
]


def _store(sessions: sessionmaker[Session], titles: list[str], **extra: object) -> None:
    with sessions.begin() as session:
        feed, _ = upsert_feed(session, feed_spec())
        store_entries(
            session,
            feed,
            [
                entry(f"k{n}", title=title, summary="", themes=(), **extra)
                for n, title in enumerate(titles)
            ],  # type: ignore[arg-type]
        )


def test_search_treats_quotes_wildcards_and_fts_operators_as_literal_text(
    sessions: sessionmaker[Session],
) -> None:
    _store(sessions, TITLES)
    literal_prefixes = ("missile*", "-missile", "^missile", "title:missile")
    problems = []
    for query in HOSTILE_QUERIES:
        with sessions() as session:
            try:
                page = search_items(session, query, Filters())
            except Exception as exc:  # noqa: BLE001 - collect every failing query at once
                problems.append(f"{query!r}: {type(exc).__name__}: {exc}")
                continue
        has_words = any(ch.isalnum() for ch in query)
        if has_words and query not in literal_prefixes and page.total >= len(TITLES):
            problems.append(f"{query!r} matched everything")
    with sessions() as session:
        count = session.scalar(select(func.count()).select_from(Item))
    assert count == len(TITLES), "the items table is intact"
    assert not problems, "\n".join(problems)


def test_search_for_a_quoted_name_finds_it_literally(sessions: sessionmaker[Session]) -> None:
    _store(sessions, TITLES)
    with sessions() as session:
        titles = [hit.title for hit in search_items(session, "O'Brien", Filters()).items]
        sql_like = search_items(session, "100%", Filters()).total
    assert titles == [TITLES[2]]
    assert sql_like == 1, "'%' is not a LIKE wildcard"


FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1"]


def test_csv_export_neutralises_cells_that_would_start_a_formula(sqlite_url: str) -> None:
    from jkwatch.db.engine import make_engine, make_sessionmaker
    from jkwatch.db.migrate import upgrade

    engine = make_engine(sqlite_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        feed, _ = upsert_feed(session, feed_spec())
        store_entries(
            session,
            feed,
            [
                entry(
                    f"f{n}", title=formula, summary=formula, url=f"https://x.example/{n}", themes=()
                )
                for n, formula in enumerate(FORMULAS)
            ],
        )
    engine.dispose()
    result = invoke(sqlite_url, "export", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == len(FORMULAS)
    for row in rows:
        for name, cell in row.items():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (name, cell)
    assert {row["title"] for row in rows} == {"'" + f for f in FORMULAS}


BAD_URLS = [
    "file:///etc/passwd",
    "gopher://127.0.0.1:70/1",
    "ftp://ftp.example.com/feed.xml",
    "javascript:alert(1)",
    "data:text/xml,<rss/>",
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_feeds_add_refuses_non_http_urls_with_a_clear_message(sqlite_url: str, url: str) -> None:
    result = invoke(sqlite_url, "feeds", "add", url)
    assert result.exit_code == 2, result.output
    assert "http" in result.stderr.lower()
    assert "Traceback" not in result.output


@pytest.mark.parametrize("url", BAD_URLS)
def test_import_refuses_non_http_urls_with_a_clear_message(sqlite_url: str, url: str) -> None:
    result = invoke(sqlite_url, "import", url)
    assert result.exit_code == 2, result.output
    message = result.stderr.lower()
    assert "http" in message or "no such file" in message, result.stderr
    assert "root:x:0:0" not in result.output


def test_ingest_feeds_file_refuses_non_http_urls_with_a_clear_message(
    sqlite_url: str, tmp_path: Path
) -> None:
    feeds_file = tmp_path / "feeds.toml"
    feeds_file.write_text(
        "".join(f'[[feeds]]\nurl = "{url}"\n\n' for url in BAD_URLS[:3]), encoding="utf-8"
    )
    result = invoke(sqlite_url, "ingest", "--feeds", str(feeds_file))
    assert result.exit_code == 2, result.output
    assert "http" in result.stderr.lower()
    from jkwatch.db.engine import make_engine, make_sessionmaker
    from jkwatch.db.migrate import upgrade

    engine = make_engine(sqlite_url)
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        urls = list(session.scalars(select(Feed.url)))
    engine.dispose()
    assert not any(u.startswith(("file:", "gopher:", "ftp:")) for u in urls)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "//evil.example/path",
        "/relative/path",
        "http:///no-host",
        "",
        None,
    ],
)
def test_dashboard_offers_links_only_for_absolute_http_urls(url: str | None) -> None:
    assert safe_link(url) is None


@pytest.mark.parametrize("url", ["https://www.yna.co.kr/view/AKR1", "http://example.com/a?b=c"])
def test_dashboard_keeps_ordinary_http_links(url: str) -> None:
    assert safe_link(url) == url


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", "data:text/html,<b>x</b>", "file:///etc/passwd"]
)
def test_a_feed_link_with_a_non_http_scheme_is_never_stored_as_the_item_url(link: str) -> None:
    raw = RawEntry(
        guid="g",
        link=link,
        title="t",
        title_type="text/plain",
        summary="s",
        summary_type="text/plain",
        content="",
        author=None,
        published=None,
        updated=None,
    )
    normalized = normalize_entry(raw, FeedContext(link="https://publisher.example.com/"))
    assert normalized.url is None or normalized.url.startswith(("http://", "https://"))
    assert normalized.canonical_url is None


def test_the_dashboard_binds_to_localhost_unless_told_otherwise() -> None:
    from jkwatch.cli.dashboard_commands import dashboard_command, streamlit_command

    host = next(p for p in dashboard_command.params if p.name == "host")
    assert host.default == "127.0.0.1"
    argv = streamlit_command(Path("app.py"), host.default, 8501, "sqlite:///x.db")
    assert argv[argv.index("--server.address") + 1] == "127.0.0.1"


def test_the_dashboards_database_connection_refuses_writes(engine, db_url: str) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from jkwatch.dashboard import data

    reader = data._engine(db_url)
    with pytest.raises(DBAPIError), reader.begin() as conn:
        conn.execute(text("DELETE FROM feeds"))
    with pytest.raises(DBAPIError), reader.begin() as conn:
        conn.execute(text("CREATE TABLE evil (x INTEGER)"))
    reader.dispose()


def test_opml_import_skips_non_http_outlines_with_a_warning(
    sqlite_url: str, tmp_path: Path
) -> None:
    opml = tmp_path / "subscriptions.opml"
    outlines = "".join(
        f'<outline text="o{n}" type="rss" xmlUrl="{url}"/>\n'
        for n, url in enumerate([*BAD_URLS[:3], "https://ok.example.com/feed.xml"])
    )
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>t</title></head>'
        f"<body>{outlines}</body></opml>",
        encoding="utf-8",
    )
    result = invoke(sqlite_url, "feeds", "import-opml", str(opml))
    assert result.exit_code == 0, result.output
    assert result.stderr.count("only http and https") == 3
    from jkwatch.db.engine import make_engine, make_sessionmaker

    engine = make_engine(sqlite_url)
    with make_sessionmaker(engine)() as session:
        urls = list(session.scalars(select(Feed.url)))
    engine.dispose()
    assert urls == ["https://ok.example.com/feed.xml"]
