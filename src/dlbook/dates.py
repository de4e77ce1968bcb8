"""Generated alignment data: dates written the way people write them -> ISO 8601 ("1994-09-27").

    sources, targets = date_pairs(1000, rng=rng)   # "september 27, 1994" -> "1994-09-27"
    src, tgt = encode_dates(sources, targets)       # padded int64 ids, SOURCE_VOCAB / TARGET_VOCAB

Each output character comes from one place in the input (the year's digits, the
day's, the month's name), so a model that attends shows where it looked.
"""

from __future__ import annotations

import datetime

import numpy as np

from dlbook.sequences import CharVocab

__all__ = ["MONTHS", "FORMATS", "format_date", "date_pairs", "encode_dates", "SOURCE_VOCAB", "TARGET_VOCAB",
           "PAD", "START", "SOURCE_LENGTH", "TARGET_LENGTH"]

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
FORMATS = ("september 27, 1994", "27 september 1994", "sep 27, 1994", "27 sep 1994", "27.09.1994",
           "09/27/94")
PAD, START = "_", "^"
SOURCE_VOCAB = CharVocab("abcdefghijklmnopqrstuvwxyz0123456789 ,./" + PAD)
TARGET_VOCAB = CharVocab("0123456789-" + START)
SOURCE_LENGTH = len("september 27, 1994")  # the longest source
TARGET_LENGTH = len("1994-09-27")


def format_date(date: datetime.date, fmt: str) -> str:
    """Write `date` in one of FORMATS (each named by how it writes 27 September 1994)."""
    month = MONTHS[date.month - 1]
    d, y = date.day, date.year
    writers = {
        "september 27, 1994": f"{month} {d}, {y}",
        "27 september 1994": f"{d} {month} {y}",
        "sep 27, 1994": f"{month[:3]} {d}, {y}",
        "27 sep 1994": f"{d} {month[:3]} {y}",
        "27.09.1994": f"{d:02d}.{date.month:02d}.{y}",
        "09/27/94": f"{date.month:02d}/{d:02d}/{y % 100:02d}",
    }
    if fmt not in writers:
        raise ValueError(f"Invalid date format {fmt!r}; choose from {FORMATS}")
    return writers[fmt]


def date_pairs(n: int, *, rng: np.random.Generator, formats: tuple[str, ...] = FORMATS,
               years: tuple[int, int] = (1950, 2049)) -> tuple[list[str], list[str]]:
    """n random dates (days uniform over the years, inclusive), each written in a random format.

    Args:
        n: int. rng: np.random.Generator. formats: the formats to draw from (default all).
        years: (first, last). "09/27/94" writes two digits, so first and last lie within 100 years.
    Returns:
        sources: n strings as written; targets: the same n dates as "YYYY-MM-DD".
    """
    if not isinstance(n, (int, np.integer)) or n <= 0:
        raise ValueError(f"Invalid n: {n}")
    first, last = datetime.date(years[0], 1, 1), datetime.date(years[1], 12, 31)
    if "09/27/94" in formats and years[1] - years[0] >= 100:
        raise ValueError(f"Invalid years {years}: two-digit years are ambiguous over 100 years or more")
    days = rng.integers(0, (last - first).days + 1, size=n)
    which = rng.integers(0, len(formats), size=n)
    dates = [first + datetime.timedelta(days=int(k)) for k in days]
    return [format_date(d, formats[i]) for d, i in zip(dates, which.tolist())], [d.isoformat() for d in dates]


def encode_dates(sources: list[str], targets: list[str] | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Ids for a model: sources left-padded with PAD to SOURCE_LENGTH, so every source ends at the last step.

    Returns:
        src: (n, SOURCE_LENGTH) int64 in SOURCE_VOCAB; tgt: (n, TARGET_LENGTH) int64 in
        TARGET_VOCAB (None without targets). Teacher forcing feeds [START, tgt[:, :-1]].
    """
    too_long = [s for s in sources if len(s) > SOURCE_LENGTH]
    if too_long:
        raise ValueError(f"sources longer than {SOURCE_LENGTH} characters: {too_long[:3]}")
    src = np.stack([SOURCE_VOCAB.encode(s.rjust(SOURCE_LENGTH, PAD)) for s in sources])
    if targets is None:
        return src, None
    bad = [t for t in targets if len(t) != TARGET_LENGTH]
    if bad:
        raise ValueError(f"targets must be YYYY-MM-DD, got {bad[:3]}")
    return src, np.stack([TARGET_VOCAB.encode(t) for t in targets])
