"""``jkwatch backfill`` at the command line: usage errors, exit codes, kill -9 and resume."""

from __future__ import annotations

import signal
import subprocess
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.models import BackfillWindow, Item
from tests.backfill_services import Service, html_page, plant, serve
from tests.feedserver import FeedServer
from tests.processes import invoke, start_jkwatch, wait_until


def _backfill_args(
    source: str, base: str, since: date, until: date, *extra: str
) -> tuple[str, ...]:
    """``jkwatch backfill`` of ``source`` at a local imitation, without pauses."""
    return (
        "backfill",
        "--source",
        source,
        "--endpoint",
        base,
        "--delay",
        "0",
        "--since",
        str(since),
        "--until",
        str(until),
        *extra,
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--since", "2026-13-01"], "--since: expected a date"),
        (["--since", "2026-03-01", "--until", "yesterday"], "--until: expected a date"),
        (["--since", "2026-03-02", "--until", "2026-03-01"], "is after --until"),
        (["--since", "2026-03-01", "--endpoint", "http://127.0.0.1:9"], "give --source too"),
        (
            ["--since", "2026-03-01", "--source", "gdelt", "--endpoint", "ftp://mirror.example"],
            "expected http://host:port",
        ),
        (["--since", "2026-03-01", "--source", "bing"], "invalid value for '--source'"),
        (["--since", "2026-03-01", "--lang", "zh"], "invalid value for '--lang'"),
        (["--since", "2026-03-01", "--delay", "-1"], "--delay"),
        (["--since", "2026-03-01", "--query", "  "], "--query: the search text is empty"),
        ([], "missing option '--since'"),
    ],
)
def test_a_bad_backfill_command_line_is_one_line_and_exit_2(
    sqlite_url: str, args: list[str], words: str
) -> None:
    result = invoke(sqlite_url, "backfill", *args)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], result.output


def _urls(db: str) -> Counter[str | None]:
    engine = make_engine(db)
    try:
        with make_sessionmaker(engine)() as session:
            return Counter(session.scalars(select(Item.canonical_url)).all())
    finally:
        engine.dispose()


@pytest.mark.slow
def test_failed_windows_exit_1_and_the_next_run_completes_them_with_exit_0(
    sqlite_url: str,
) -> None:
    since, until = date(2026, 6, 1), date(2026, 6, 21)
    items = plant(since, until, 1, languages=("en", "ko"), prefix="c")
    service = Service(items)
    service.failures[date(2026, 6, 8)] = html_page
    with FeedServer() as server:
        base = serve(server, gdelt=service)
        args = _backfill_args("gdelt", base, since, until, "--lang", "en", "--lang", "ko")
        first = invoke(sqlite_url, *args, "--query", "Dokdo")
        assert first.exit_code == 1, first.output
        assert "2 windows failed" in first.output
        assert "gdelt: 4 windows done, 0 split, 2 failed" in first.output
        assert len(_urls(sqlite_url)) == 28
        service.failures.clear()
        asked = len(service.queries)
        second = invoke(sqlite_url, *args, "--query", "Dokdo")
        assert second.exit_code == 0, second.output
        assert len(service.queries) - asked == 2
        assert _urls(sqlite_url) == Counter({i.url: 1 for i in items})
        # --query replaced the default queries for every language.
        assert {q.split(" sourcelang:")[0] for q in service.queries} == {"Dokdo"}


def _windows_stored(db: str) -> int:
    """Window rows committed so far (0 while the child has not created the schema)."""
    engine = make_engine(db)
    try:
        with make_sessionmaker(engine)() as session:
            return len(session.scalars(select(BackfillWindow.id)).all())
    except SQLAlchemyError:
        return 0
    finally:
        engine.dispose()


def _progressed(db: str, child: subprocess.Popen[str], windows: int) -> Callable[[], bool]:
    return lambda: _windows_stored(db) >= windows or child.poll() is not None


@pytest.mark.slow
def test_kill_9_in_the_middle_of_a_backfill_then_resuming_loses_and_duplicates_nothing(
    db_url: str,
) -> None:
    since, until = date(2026, 1, 5), date(2026, 4, 26)  # 16 weeks, two languages
    items = plant(since, until, 2, languages=("en", "ja"), prefix="k")
    service = Service(items, delay_s=0.03)
    with FeedServer() as server:
        base = serve(server, google=service)
        args = _backfill_args("google-news", base, since, until, "--lang", "en", "--lang", "ja")
        kills = 0
        for _ in range(2):
            child = start_jkwatch(db_url, *args, stdout=subprocess.PIPE)
            wait_until(_progressed(db_url, child, 5 * (kills + 1)), 60, "a few windows stored")
            if child.poll() is None:
                child.send_signal(signal.SIGKILL)
                kills += 1
            child.wait(timeout=30)
            if child.stdout is not None:
                child.stdout.close()
            if child.stderr is not None:
                child.stderr.close()
        assert kills >= 1, "the kill landed while the backfill was running"
        assert max(_urls(db_url).values(), default=1) == 1  # nothing stored twice so far
        asked = len(service.queries)
        final = start_jkwatch(db_url, *args)
        out, err = final.communicate(timeout=120)
        assert final.returncode == 0, err
        windows = 2 * ((until - since).days // 7 + 1)
        assert len(set(service.queries)) == windows
        # Across all runs each window was fetched once, plus at most the one in flight per kill.
        assert len(service.queries) <= windows + kills
        assert len(service.queries) - asked < windows, "the resumed run skipped finished windows"
        assert _urls(db_url) == Counter(
            {f"https://news.google.com/rss/articles/{i.key}?oc=5": 1 for i in items}
        )


@pytest.mark.slow
def test_ctrl_c_stops_between_windows_with_exit_130_and_the_rerun_finishes(
    sqlite_url: str,
) -> None:
    since, until = date(2026, 1, 5), date(2026, 6, 28)
    items = plant(since, until, 1, languages=("en",), prefix="i")
    service = Service(items, delay_s=0.05)
    with FeedServer() as server:
        base = serve(server, gdelt=service)
        args = _backfill_args("gdelt", base, since, until, "--lang", "en")
        child = start_jkwatch(sqlite_url, *args)
        wait_until(lambda: len(service.queries) >= 3, 60, "the backfill to start asking")
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
        assert child.returncode == 130, err
        assert "interrupted: rerun the same command to resume" in err
        weeks = (until - since).days // 7 + 1
        assert len(service.queries) < weeks
        again = invoke(sqlite_url, *args)
        assert again.exit_code == 0, again.output
        assert len(service.queries) == weeks, "each window fetched exactly once across both runs"
        assert _urls(sqlite_url) == Counter({i.url: 1 for i in items})


@pytest.mark.slow
def test_a_backfill_of_an_empty_range_at_the_public_gdelt_skips_windows_before_its_coverage(
    sqlite_url: str,
) -> None:
    # The public endpoint is never asked: every window is older than GDELT's three months.
    old = date.today() - timedelta(days=400)
    result = invoke(
        sqlite_url,
        "backfill",
        "--source",
        "gdelt",
        "--since",
        str(old),
        "--until",
        str(old + timedelta(days=13)),
        "--lang",
        "en",
    )
    assert result.exit_code == 0, result.output
    assert "gdelt: 0 windows done, 0 split, 0 failed, 2 skipped" in result.output
