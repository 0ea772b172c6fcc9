"""The Atom channel and ``jkwatch serve-feeds``: entries written atomically, newest first, capped,
one per event; read back with feedparser; served read-only over real HTTP with nothing else of
the disk reachable."""

from __future__ import annotations

import http.client
import threading
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import feedparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jkwatch.alerts.atom_channel import clean
from jkwatch.alerts.channels import ChannelSpec, deliver, describe, parse_channels
from jkwatch.alerts.feed_server import atom_feeds, make_feed_server
from jkwatch.alerts.message import DeliveryError, ItemLink, Message
from tests.processes import invoke, start_jkwatch, stop, wait_until

SOURCE = "config/alerts.toml"


def message(n: int = 1, **changes: object) -> Message:
    fields: dict[str, object] = {
        "event_key": f"story:42:{n}",
        "kind": "story",
        "rule": "cross-border",
        "subject": f"Story {n} reaches both countries' press",
        "text": f"Story {n} is now covered by 5 outlets in Japan and Korea.",
        "created_at": datetime(2026, 12, 5, 6, 0, tzinfo=UTC) + timedelta(hours=n),
        "items": (
            ItemLink(
                10 + n,
                f"Ministers meet on export controls ({n})",
                f"https://news.example.jp/story/{n}",
                "Example Shimbun",
                datetime(2026, 12, 5, 1, 0, tzinfo=UTC),
            ),
            ItemLink(
                20 + n,
                f"Talks in Seoul end without a statement ({n})",
                f"https://news.example.kr/story/{n}",
                "Example Ilbo",
                datetime(2026, 12, 5, 2, 0, tzinfo=UTC),
            ),
        ),
    }
    fields.update(changes)
    return Message(**fields)  # type: ignore[arg-type]


def atom_channel(path: Path, max_entries: int = 200, name: str = "reader") -> ChannelSpec:
    table = {"type": "atom", "path": str(path), "max_entries": max_entries}
    return parse_channels({name: table}, SOURCE)[name]


def test_an_alert_becomes_an_atom_entry_that_feedparser_reads_back(tmp_path):
    path = tmp_path / "feeds" / "alerts.atom"
    deliver(atom_channel(path), message(1))
    feed = feedparser.parse(path.read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    (entry,) = feed.entries
    assert entry.id == "tag:jkwatch,2026:alert/story:42:1"
    assert entry.title == "Story 1 reaches both countries' press"
    assert entry.content[0].type == "text/plain"
    assert entry.content[0].value == "Story 1 is now covered by 5 outlets in Japan and Korea."
    assert entry.link == "https://news.example.jp/story/1"
    hrefs = [link.href for link in entry.links]
    assert hrefs == ["https://news.example.jp/story/1", "https://news.example.kr/story/1"]
    assert entry.updated == "2026-12-05T07:00:00Z"
    assert [tag.term for tag in entry.tags] == ["story", "cross-border"]


def test_delivering_the_same_event_twice_leaves_one_entry_and_the_file_unchanged(tmp_path):
    path = tmp_path / "alerts.atom"
    spec = atom_channel(path)
    deliver(spec, message(1))
    first = path.read_bytes()
    deliver(spec, message(1, subject="A retried delivery of the same event"))
    assert path.read_bytes() == first
    assert len(feedparser.parse(first).entries) == 1


def test_entries_are_newest_first_and_capped_at_max_entries(tmp_path):
    path = tmp_path / "alerts.atom"
    spec = atom_channel(path, max_entries=3)
    for n in (1, 2, 5, 4, 3):  # a retried older event arrives late
        deliver(spec, message(n))
    feed = feedparser.parse(path.read_bytes())
    assert [e.id.rsplit(":", 1)[1] for e in feed.entries] == ["5", "4", "3"]
    assert feed.feed.updated == "2026-12-05T11:00:00Z"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alerts.atom", "alerts.atom.lock"]


def test_untrusted_text_stays_text_and_characters_xml_cannot_carry_are_dropped(tmp_path):
    path = tmp_path / "alerts.atom"
    hostile = message(
        1,
        subject="<script>alert(1)</script> & \x00\x07 more",
        text="]]> <b>bold</b> \x1b[31m red",
    )
    deliver(atom_channel(path), hostile)
    feed = feedparser.parse(path.read_bytes())
    assert not feed.bozo
    entry = feed.entries[0]
    assert entry.title == "<script>alert(1)</script> & more"
    assert entry.content[0].value == "]]> <b>bold</b> [31m red"
    assert b"<script>" not in path.read_bytes()


def test_a_file_that_is_not_an_atom_feed_is_left_alone_and_the_error_says_so(tmp_path):
    path = tmp_path / "alerts.atom"
    path.write_text("my notes, not a feed")
    with pytest.raises(DeliveryError, match="not an Atom feed") as caught:
        deliver(atom_channel(path), message(1))
    assert caught.value.retryable is False
    assert path.read_text() == "my notes, not a feed"


def test_concurrent_deliveries_of_different_events_all_land(tmp_path):
    path = tmp_path / "alerts.atom"
    spec = atom_channel(path)
    threads = [threading.Thread(target=deliver, args=(spec, message(n))) for n in range(1, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(feedparser.parse(path.read_bytes()).entries) == 8


def test_describe_names_the_file_and_the_cap(tmp_path):
    spec = atom_channel(Path("data/alerts.atom"), max_entries=50)
    assert describe(spec) == "reader: Atom feed data/alerts.atom (newest 50)"


# --- serve-feeds ------------------------------------------------------------------------------


@pytest.fixture
def served(tmp_path) -> Iterator[tuple[str, Path]]:
    """The channels ``reader`` (with one alert) and ``empty`` (nothing yet) served on a free
    port, with a private file next to them that must never be served."""
    path = tmp_path / "alerts.atom"
    deliver(atom_channel(path), message(1))
    (tmp_path / "secret.atom").write_text("private")
    channels = parse_channels(
        {
            "reader": {"type": "atom", "path": str(path)},
            "empty": {"type": "atom", "path": str(tmp_path / "none-yet.atom"), "title": "Quiet"},
            "desk": {"type": "webhook", "url_env": "X"},
        },
        SOURCE,
    )
    server = make_feed_server(atom_feeds(channels), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", path
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def raw_get(base: str, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """A request with ``path`` sent exactly as written (urllib would normalise ``..``)."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_a_configured_feed_is_served_as_atom_and_parses(served):
    base, path = served
    status, headers, body = raw_get(base, "/alerts/reader.atom")
    assert status == 200
    assert headers["Content-Type"].startswith("application/atom+xml")
    assert body == path.read_bytes()
    assert feedparser.parse(body).entries[0].id == "tag:jkwatch,2026:alert/story:42:1"


def test_a_feed_with_no_alerts_yet_is_a_valid_empty_feed(served):
    base, _ = served
    status, _, body = raw_get(base, "/alerts/empty.atom")
    feed = feedparser.parse(body)
    assert status == 200 and not feed.bozo
    assert feed.feed.title == "Quiet" and feed.entries == []


def test_the_index_lists_the_atom_channels_only(served):
    base, _ = served
    with urllib.request.urlopen(base + "/") as response:
        page = response.read().decode()
    assert '<a href="/alerts/reader.atom">' in page
    assert '<a href="/alerts/empty.atom">' in page
    assert "desk" not in page


@pytest.mark.parametrize(
    "path",
    [
        "/alerts/../secret.atom",
        "/alerts/..%2fsecret.atom",
        "/alerts/%2e%2e/secret.atom",
        "/../../../../etc/passwd",
        "/alerts/secret.atom",
        "/alerts/desk.atom",
        "//etc/passwd",
        "/alerts/reader.atom/../secret.atom",
        "/secret.atom",
    ],
)
def test_nothing_but_the_configured_feeds_can_be_read(served, path):
    base, _ = served
    status, _, body = raw_get(base, path)
    assert status == 404
    assert b"private" not in body and b"root:" not in body


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_the_feed_server_is_read_only(served, method):
    base, path = served
    before = path.read_bytes()
    status, _, _ = raw_get(base, "/alerts/reader.atom", method=method)
    assert status == 405
    assert path.read_bytes() == before


def write_alerts_toml(directory: Path, feed: Path) -> None:
    directory.mkdir(exist_ok=True)
    (directory / "alerts.toml").write_text(
        f'[channels.reader]\ntype = "atom"\npath = "{feed}"\n', encoding="utf-8"
    )


@pytest.mark.slow
def test_serve_feeds_serves_the_configured_feed_over_real_http(tmp_path):
    feed = tmp_path / "alerts.atom"
    deliver(atom_channel(feed), message(3))
    write_alerts_toml(tmp_path / "conf", feed)
    process = start_jkwatch(None, "serve-feeds", "--port", "0", "--config", str(tmp_path / "conf"))
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("serving 1 alert feed(s) at http://127.0.0.1:"), first
        base = first.split(" at ", 1)[1].strip().rstrip("/")
        holder: dict[str, bytes] = {}

        def fetched() -> bool:
            try:
                with urllib.request.urlopen(base + "/alerts/reader.atom", timeout=2) as response:
                    holder["body"] = response.read()
                return True
            except OSError:
                return False

        wait_until(fetched, 20, "serve-feeds to answer")
        assert feedparser.parse(holder["body"]).entries[0].id.endswith("story:42:3")
    finally:
        stop(process)


def test_serve_feeds_with_a_bad_channel_is_one_line_and_exit_2(tmp_path):
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "alerts.toml").write_text('[channels.reader]\ntype = "atom"\nmax_entries = 5\n')
    result = invoke(None, "serve-feeds", "--config", str(conf))
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert "channel 'reader': field 'path': is required" in result.output


def test_serve_feeds_without_an_atom_channel_says_so(tmp_path):
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "alerts.toml").write_text('[channels.team]\ntype = "webhook"\nurl_env = "X"\n')
    result = invoke(None, "serve-feeds", "--config", str(conf))
    assert result.exit_code == 2
    assert 'no channel of type "atom"' in result.output


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(subject=st.text(max_size=80), text=st.text(max_size=300))
def test_any_text_gives_a_feed_that_parses_and_keeps_the_words(tmp_path, subject, text):
    path = tmp_path / f"any-{abs(hash((subject, text)))}.atom"
    deliver(atom_channel(path), message(1, subject=subject, text=text))
    data = path.read_bytes()
    feed = feedparser.parse(data)
    assert not feed.bozo, feed.get("bozo_exception")
    assert len(feed.entries) == 1
    # Exact text through a strict XML parser (feedparser "repairs" what looks like mojibake).
    atom = "{http://www.w3.org/2005/Atom}"
    entry = ElementTree.fromstring(data).find(f"{atom}entry")
    assert entry is not None
    assert entry.findtext(f"{atom}title") == " ".join(clean(subject).split())
    assert entry.findtext(f"{atom}content") == clean(text)
