"""`scoring.round3` must equal `round(x, 3)` to the last bit: scores are stored and compared.

The fast path relies on an error bound, so the test aims at where it could break: exact and
near ties (k + 1/2) / 1000 and their neighbouring doubles, values either side of the fast range,
and specials, plus a seeded sample of ordinary scores.
"""

from __future__ import annotations

import math
import random

from jkwatch.ingest.tagging.scoring import round3


def _same(x: float) -> bool:
    want, got = round(x, 3), round3(x)
    if math.isnan(want):
        return math.isnan(got)
    return want.hex() == got.hex()


def _around(x: float, steps: int = 3) -> list[float]:
    """x and its `steps` nearest doubles on either side."""
    out = [x]
    up = down = x
    for _ in range(steps):
        up, down = math.nextafter(up, math.inf), math.nextafter(down, -math.inf)
        out += [up, down]
    return out


def test_ties_and_their_neighbours() -> None:
    ks = list(range(0, 3000)) + list(range(3000, 1_000_000, 997)) + [999_998, 999_999]
    bad = [
        x
        for k in ks
        for base in ((k + 0.5) / 1000, k / 1000, (k + 0.4999999995) / 1000)
        for x in _around(base)
        if not _same(x)
    ]
    assert not bad, [(x, round(x, 3), round3(x)) for x in bad[:5]]


def test_sampled_scores() -> None:
    rng = random.Random(20261205)
    samples = [rng.random() for _ in range(100_000)]
    samples += [rng.uniform(0, 1000) for _ in range(20_000)]
    samples += [r / (r + 2.5) for r in (rng.uniform(0, 40) for _ in range(20_000))]
    # Beyond the fast range the error bound no longer holds: these must take round() itself.
    samples += [10 ** rng.uniform(-12, 20) for _ in range(50_000)]
    samples += [(k + 0.5) / 1000 for k in (rng.randrange(10**6, 10**13) for _ in range(20_000))]
    bad = [x for x in samples if not _same(x)]
    assert not bad, bad[:5]


def test_edges_and_specials() -> None:
    specials = [0.0, -0.0, 5e-324, 1e-300, 0.0005, 0.0015, 0.9995, 1.0, 999.9995, 999.999, 1000.0]
    specials += [1e6, 1e300, -0.0004, -0.0005, -1.2345, math.inf, -math.inf, math.nan]
    bad = [x for base in specials for x in _around(base) if not _same(x)]
    assert not bad, bad[:5]
