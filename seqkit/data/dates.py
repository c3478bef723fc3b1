"""Human-readable dates → ISO 8601, the notes' attention exercise ("date translation").

Each example pairs a date written one of many ways with its ``YYYY-MM-DD`` form::

    tuesday 3 march 1998  →  1998-03-03        3/3/98           →  1998-03-03
    March 3rd, 1998       →  1998-03-03        03.03.1998       →  1998-03-03

Conventions, so that every source means exactly one date and a perfect model is possible:

* dates run from 1900-01-01 to 2099-12-31;
* slash formats are month/day/year (US order); dotted formats are day.month.year;
* a two-digit year appears only in the slash formats ``m/d/yy`` and ``mm/dd/yy``, and only for the
  years 1950–2049 (``yy`` ≥ 50 means 19yy, below 50 means 20yy);
* month and weekday names are English, full ("March", "Tuesday") or three letters ("Mar", "Tue");
  a weekday, when written, is the date's own;
* a format with words is written as-is (capitalised names), in lower case or in upper case.

The splits differ by date value: a date (its ISO string) used in ``test`` or ``valid`` never occurs
in ``train``, so the test measures generalisation to unseen dates, not recall of rendered strings.
"""

import json
import random
from collections.abc import Sequence
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import NamedTuple

from seqkit.data.errors import DataError
from seqkit.data.parallel import write_lines
from seqkit.files import write_text_atomic
from seqkit.status import status

FIRST, LAST = date(1900, 1, 1), date(2099, 12, 31)
TWO_DIGIT_YEARS = range(1950, 2050)  # the years a two-digit year stands for
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Templates: {d} day, {dd} zero-padded, {dth} ordinal (3rd); {m}, {mm} month number, {month} name,
# {mon} three letters; {yyyy}, {yy} year; {weekday}, {wkd} weekday name and three letters.
# Comments render 1998-03-21.
FORMATS = (
    "{weekday} {d} {month} {yyyy}",  # Saturday 21 March 1998
    "{weekday}, {month} {dth}, {yyyy}",  # Saturday, March 21st, 1998
    "{wkd}, {dd} {mon} {yyyy}",  # Sat, 21 Mar 1998 (RFC 2822)
    "{month} {dth}, {yyyy}",  # March 21st, 1998
    "{month} {d}, {yyyy}",  # March 21, 1998
    "{month} {dd} {yyyy}",  # March 21 1998
    "{mon} {d} {yyyy}",  # Mar 21 1998
    "{d} {month} {yyyy}",  # 21 March 1998
    "{d} {mon} {yyyy}",  # 21 Mar 1998
    "{dth} of {month} {yyyy}",  # 21st of March 1998
    "{m}/{d}/{yy}",  # 3/21/98
    "{mm}/{dd}/{yy}",  # 03/21/98
    "{m}/{d}/{yyyy}",  # 3/21/1998
    "{mm}/{dd}/{yyyy}",  # 03/21/1998
    "{d}.{m}.{yyyy}",  # 21.3.1998
    "{dd}.{mm}.{yyyy}",  # 21.03.1998
    "{yyyy}-{mm}-{dd}",  # 1998-03-21 (ISO: the target itself)
)
FOUR_DIGIT_YEAR_FORMATS = tuple(f for f in FORMATS if "{yy}" not in f)  # for the other years
CASES = ("as-is", "lower", "upper")
SPLITS = ("train", "valid", "test")
SIZES = (40_000, 1_000, 2_000)  # default examples per split (train, valid, test)
MARKER = ".done"  # written last by prepare: the six files are complete


class DateExample(NamedTuple):
    source: str  # the date as a person might write it
    target: str  # ISO 8601, YYYY-MM-DD
    format: str  # the template of FORMATS that wrote the source


def ordinal(n: int) -> str:
    """``1st, 2nd, 3rd, 4th, …, 11th, 12th, 13th, …, 21st, 22nd, 23rd, …, 31st``."""
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def render(day: date, template: str, case: str = "as-is") -> str:
    """``day`` written by ``template`` (one of :data:`FORMATS`, or any with the same fields)."""
    if case not in CASES:
        raise DataError(f"render: unknown case {case!r}; expected one of {', '.join(CASES)}")
    if "{yy}" in template and day.year not in TWO_DIGIT_YEARS:
        raise DataError(f"render: a two-digit year stands for 1950–2049, got {day.isoformat()}")
    month, weekday = MONTHS[day.month - 1], WEEKDAYS[day.weekday()]
    text = template.format(
        d=day.day, dd=f"{day.day:02d}", dth=ordinal(day.day), m=day.month, mm=f"{day.month:02d}",
        month=month, mon=month[:3], yyyy=f"{day.year:04d}", yy=f"{day.year % 100:02d}",
        weekday=weekday, wkd=weekday[:3])
    return text.lower() if case == "lower" else text.upper() if case == "upper" else text


@cache
def _dates_between(first: date, last: date) -> tuple[date, ...]:
    return tuple(first + timedelta(days=i) for i in range((last - first).days + 1))


def all_dates(first: date = FIRST, last: date = LAST) -> list[date]:
    """Every date from ``first`` to ``last``, both included."""
    return list(_dates_between(first, last))


def generate(n: int, seed: int | str = 0, dates: Sequence[date] | None = None) -> list[DateExample]:
    """``n`` examples, each a date of ``dates`` (default :func:`all_dates`) in a random format
    and case.

    The dates are drawn without replacement while ``dates`` lasts (n ≤ len(dates): all distinct),
    then again from a fresh shuffle. The same arguments give the same examples.
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"dates.generate: n must be an int, got {n!r}")
    if n < 0:
        raise DataError(f"dates.generate: n must be ≥ 0, got {n}")
    pool = _dates_between(FIRST, LAST) if dates is None else list(dates)
    if n and not pool:
        raise DataError(f"dates.generate: no dates to draw {n} examples from")
    rng = random.Random(seed)
    values: list[date] = []
    while len(values) < n:
        values += rng.sample(pool, min(n - len(values), len(pool)))
    examples = []
    for day in values[:n]:
        template = rng.choice(FORMATS if day.year in TWO_DIGIT_YEARS else FOUR_DIGIT_YEAR_FORMATS)
        examples.append(DateExample(render(day, template, rng.choice(CASES)), day.isoformat(),
                                    template))
    return examples


def split_dates(seed: int, sizes: Sequence[int] = SIZES) -> dict[str, list[date]]:
    """Disjoint sets of date values for (train, valid, test): ``valid`` and ``test`` get as many
    distinct dates as they have examples, ``train`` every date left."""
    _check_sizes(sizes)
    days = all_dates()
    held_out = sizes[1] + sizes[2]
    if held_out >= len(days):
        raise DataError(f"dates: valid + test = {held_out} examples need that many distinct dates, "
                        f"leaving none of the {len(days)} for train")
    random.Random(f"dates/{seed}/split").shuffle(days)
    return {"test": days[:sizes[2]], "valid": days[sizes[2]:held_out], "train": days[held_out:]}


def _check_sizes(sizes: Sequence[int]) -> None:
    if len(sizes) != len(SPLITS) or not all(isinstance(s, int) for s in sizes):
        raise TypeError(f"dates: sizes must be three ints (train, valid, test), got {sizes!r}")
    if min(sizes) < 0:
        raise DataError(f"dates: sizes must be ≥ 0, got {tuple(sizes)}")


def prepare(directory: str | Path, seed: int = 0, sizes: Sequence[int] | None = None) -> None:
    """Write ``{train,valid,test}.{src,tgt}`` into ``directory``, one example a line.

    Each file is written atomically and the marker ``.done`` last, recording the seed and sizes.
    A directory with the marker and all six files is left as it is; if it was made with another
    seed or sizes, that is a :class:`DataError` (a run never changes the data under another, nor
    silently trains on data it did not ask for). Without the marker, the six files are
    (re)written; the output is a function of (seed, sizes), so concurrent callers write the same.
    """
    directory, sizes = Path(directory), SIZES if sizes is None else sizes
    files = [directory / f"{split}.{side}" for split in SPLITS for side in ("src", "tgt")]
    settings = {"generator": "seqkit.data.dates", "seed": seed, "sizes": list(sizes)}
    if (directory / MARKER).exists() and all(f.exists() for f in files):
        made = json.loads((directory / MARKER).read_text(encoding="utf-8"))
        if made != settings:
            raise DataError(f"{directory}: holds dates made with seed {made.get('seed')} and "
                            f"sizes {made.get('sizes')}, not seed {seed} and sizes {list(sizes)};"
                            " use another data.dir or remove that one")
        return
    status(f"dates: generating {sum(sizes):,} examples (train, valid, test: "
           f"{', '.join(f'{n:,}' for n in sizes)}) into {directory}")
    values = split_dates(seed, sizes)
    directory.mkdir(parents=True, exist_ok=True)
    for split, n in zip(SPLITS, sizes, strict=True):
        examples = generate(n, seed=f"dates/{seed}/{split}", dates=values[split])
        write_lines(directory / f"{split}.src", (e.source for e in examples))
        write_lines(directory / f"{split}.tgt", (e.target for e in examples))
    write_text_atomic(directory / MARKER, json.dumps(settings) + "\n")
