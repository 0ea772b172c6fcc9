"""A deterministic synthetic news corpus: about two years from fifteen invented outlets.

Pure: the same ``seed``, ``items`` and ``end`` always give the same corpus. The dynamics are
meant to look like real coverage on a dashboard: a background volume per theme with a weekly
rhythm, bursts around invented events (a missile-launch week, a summit...), wire stories
syndicated across outlets with retouched headlines, and general feeds that also carry
markets, sport, K-pop and weather. Every outlet name says "(synthetic)".
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate

from jkwatch.demo import templates as tpl

SYNTHETIC_LABEL = "synthetic sample data"
DAYS = 730
DEFAULT_ITEMS = 15_000


@dataclass(frozen=True)
class Outlet:
    """An invented news outlet, served as one feed."""

    slug: str
    name: str
    lang: str
    kind: str  # "general" carries irrelevant items too; "topic" is security only
    fmt: str  # "rss" or "atom"
    weight: float
    country: str = "other"
    """Where it publishes ("jp", "kr", "other"): English outlets of Tokyo and Seoul count for
    their country, as Kyodo and Yonhap do on the Compare page."""

    @property
    def path(self) -> str:
        return f"/feeds/{self.slug}.{'atom' if self.fmt == 'atom' else 'xml'}"

    @property
    def site(self) -> str:
        return f"https://{self.slug}.example"


OUTLETS: tuple[Outlet, ...] = (
    Outlet("harbor-ledger", "Harbor Ledger (synthetic)", "en", "general", "rss", 1.4, "kr"),
    Outlet("pacific-sentinel", "Pacific Sentinel Review (synthetic)", "en", "topic", "atom", 0.8),
    Outlet(
        "eastern-seaboard", "Eastern Seaboard Times (synthetic)", "en", "general", "rss", 1.2, "jp"
    ),
    Outlet("northgate-wire", "Northgate Defense Wire (synthetic)", "en", "topic", "rss", 0.9),
    Outlet("tidewater-daily", "Tidewater Daily (synthetic)", "en", "general", "atom", 0.7),
    Outlet("shinonome", "東雲新聞 (synthetic)", "ja", "general", "rss", 1.4, "jp"),
    Outlet("wangan-times", "湾岸タイムズ (synthetic)", "ja", "general", "atom", 1.0, "jp"),
    Outlet(
        "hokushin-journal", "北辰安全保障ジャーナル (synthetic)", "ja", "topic", "rss", 0.7, "jp"
    ),
    Outlet("asanagi-tsushin", "朝凪通信 (synthetic)", "ja", "general", "rss", 0.9, "jp"),
    Outlet("minato-keizai", "みなと経済新報 (synthetic)", "ja", "general", "atom", 0.6, "jp"),
    Outlet("hanbit-ilbo", "한빛일보 (synthetic)", "ko", "general", "rss", 1.4, "kr"),
    Outlet("donghae-news", "동해안뉴스 (synthetic)", "ko", "general", "atom", 1.0, "kr"),
    Outlet("saebyeok-review", "새벽안보리뷰 (synthetic)", "ko", "topic", "rss", 0.7, "kr"),
    Outlet("nuri-economy", "누리경제신문 (synthetic)", "ko", "general", "rss", 0.6, "kr"),
    Outlet("cheongram-press", "청람통신 (synthetic)", "ko", "general", "atom", 0.9, "kr"),
)

# Background share of each theme in security coverage (relative weights).
THEME_WEIGHTS: dict[str, float] = {
    "jk_cooperation": 1.2,
    "collective_security": 1.0,
    "us_alliance": 1.0,
    "nk_weapons": 1.6,
    "inter_korean": 0.7,
    "russia_nk": 0.6,
    "china_pressure": 0.9,
    "taiwan_strait": 0.7,
    "missile_defense": 0.6,
    "defense_buildup": 0.8,
    "security_autonomy": 0.4,
    "history_disputes": 0.9,
    "ukraine_war": 0.8,
    "defense_industry": 0.5,
}


@dataclass(frozen=True)
class Event:
    """An invented event: coverage of its themes rises for a few days, then fades."""

    name: str
    day: int  # offset from the corpus start
    days: int
    intensity: float  # extra volume at the peak, as a multiple of a normal day
    themes: tuple[str, ...]


EVENTS: tuple[Event, ...] = (
    Event("Kestrel Bay missile week", 95, 7, 3.0, ("nk_weapons", "missile_defense")),
    Event("History court ruling", 180, 5, 1.5, ("history_disputes", "jk_cooperation")),
    Event(
        "Port Alder trilateral summit",
        260,
        4,
        2.5,
        ("collective_security", "jk_cooperation", "us_alliance"),
    ),
    Event("Strait exercise", 370, 6, 2.0, ("taiwan_strait", "china_pressure")),
    Event("Moscow–Pyongyang summit", 455, 5, 2.2, ("russia_nk", "ukraine_war", "nk_weapons")),
    Event("Record defense budget", 540, 4, 1.4, ("defense_buildup", "defense_industry")),
    Event(
        "Autumn missile salvo",
        610,
        6,
        2.8,
        ("nk_weapons", "missile_defense", "collective_security"),
    ),
    Event("Nuclear armament debate", 680, 8, 1.2, ("security_autonomy", "us_alliance")),
)


@dataclass(frozen=True)
class CorpusItem:
    """One synthetic article as an outlet publishes it."""

    outlet: str  # Outlet.slug
    guid: str
    url: str
    title: str
    summary: str
    published_at: datetime
    lang: str
    themes: tuple[str, ...]  # what the generator meant; empty for irrelevant items
    story: str  # shared by syndicated copies of one wire story
    event: str | None = None


@dataclass(frozen=True)
class Corpus:
    seed: int
    start: date
    end: date
    outlets: tuple[Outlet, ...]
    events: tuple[Event, ...]
    items: tuple[CorpusItem, ...]

    def items_of(self, slug: str) -> list[CorpusItem]:
        """An outlet's items, newest first, as a feed lists them."""
        own = [item for item in self.items if item.outlet == slug]
        return sorted(own, key=lambda item: (item.published_at, item.guid), reverse=True)

    def event_dates(self) -> list[tuple[str, date]]:
        return [(event.name, self.start + timedelta(days=event.day)) for event in self.events]


def _event_boost(day: int, event: Event) -> float:
    """Extra volume on ``day``: a sharp peak on the event day that decays over its length."""
    offset = day - event.day
    if offset < 0 or offset >= event.days:
        return 0.0
    return event.intensity * (0.55**offset) * event.days / 2


def _day_weights() -> list[float]:
    weights = []
    for day in range(DAYS):
        weekly = 0.6 if day % 7 in (5, 6) else 1.0
        trend = 1.0 + 0.25 * day / DAYS  # coverage grows slowly over two years
        weights.append(weekly * trend + sum(_event_boost(day, e) for e in EVENTS))
    return weights


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        city=rng.choice(tpl.CITIES),
        city_ja=rng.choice(tpl.CITIES_JA),
        city_ko=rng.choice(tpl.CITIES_KO),
        n=rng.randint(2, 48),
    )


def generate(seed: int = 7, items: int = DEFAULT_ITEMS, end: date | None = None) -> Corpus:
    """Build the corpus: ``items`` articles (syndicated copies included) ending on ``end``."""
    end = end or date(2025, 6, 30)
    start = end - timedelta(days=DAYS - 1)
    rng = random.Random(seed)
    day_cum = list(accumulate(_day_weights()))
    outlet_cum = list(accumulate(o.weight for o in OUTLETS))
    active_by_day = [[e for e in EVENTS if _event_boost(d, e) > 0] for d in range(DAYS)]
    by_lang = {lang: [o for o in OUTLETS if o.lang == lang] for lang in tpl.LANGS}
    themes = list(THEME_WEIGHTS)
    theme_cum = list(accumulate(THEME_WEIGHTS.values()))
    out: list[CorpusItem] = []
    story_no = 0
    while len(out) < items:
        story_no += 1
        day = rng.choices(range(DAYS), cum_weights=day_cum)[0]
        outlet = rng.choices(OUTLETS, cum_weights=outlet_cum)[0]
        lang = outlet.lang
        active = active_by_day[day]
        event: Event | None = None
        if outlet.kind == "general" and rng.random() < 0.3:
            topic = rng.choice(sorted(tpl.IRRELEVANT_HEADLINES))
            title = _fill(rng.choice(tpl.IRRELEVANT_HEADLINES[topic][lang]), rng)
            summary = _fill(tpl.IRRELEVANT_SUMMARIES[lang], rng)
            chosen: tuple[str, ...] = ()
        else:
            if active and rng.random() < 0.7:
                # An event's own reports: its headlines name all of its themes.
                event = rng.choice(active)
                title = _fill(rng.choice(tpl.EVENT_HEADLINES[event.name][lang]), rng)
                summary = _fill(tpl.EVENT_SUMMARIES[event.name][lang], rng)
                chosen = event.themes
            else:
                theme = rng.choices(themes, cum_weights=theme_cum)[0]
                title = _fill(rng.choice(tpl.THEME_HEADLINES[theme][lang]), rng)
                summary = _fill(tpl.THEME_SUMMARIES[lang], rng)
                chosen = (theme,)
        published = datetime.combine(start + timedelta(days=day), datetime.min.time(), UTC)
        published += timedelta(minutes=rng.randrange(24 * 60 - 240))
        story = f"s{story_no}"
        copies = [outlet]
        if chosen and rng.random() < 0.15:  # a wire story picked up by other desks
            others = [o for o in by_lang[lang] if o is not outlet]
            copies += rng.sample(others, k=rng.randint(1, min(3, len(others))))
        for n, copy_outlet in enumerate(copies):
            copy_title = title if n == 0 else rng.choice(tpl.RETOUCH[lang]).format(title)
            number = len(out) + 1
            out.append(
                CorpusItem(
                    outlet=copy_outlet.slug,
                    guid=f"{copy_outlet.slug}-{seed}-{number}",
                    url=f"{copy_outlet.site}/{published:%Y/%m/%d}/{number}.html",
                    title=copy_title,
                    summary=summary,
                    published_at=published + timedelta(minutes=17 * n),
                    lang=lang,
                    themes=chosen,
                    story=story,
                    event=event.name if event else None,
                )
            )
            if len(out) >= items:
                break
    return Corpus(seed, start, end, OUTLETS, EVENTS, tuple(out))
