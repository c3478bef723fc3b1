"""seqkit.data.dates: every source parses back to its target under the documented conventions
(an independent parser is the oracle), weekdays are right, splits are disjoint by date value,
and preparation is deterministic, atomic and done once."""

import calendar
import json
import re
from collections import Counter
from datetime import date

import pytest

from seqkit.data import DataError, dates, read_lines
from seqkit.data.dates import CASES, FORMATS, SPLITS, generate, ordinal, prepare, render

MONTH_NAMES = {name.lower(): i for names in (calendar.month_name, calendar.month_abbr)
               for i, name in enumerate(names) if name}
WEEKDAY_NAMES = {name.lower(): i for names in (calendar.day_name, calendar.day_abbr)
                 for i, name in enumerate(names)}
SMALL = (1500, 200, 300)


def parse(source: str) -> date:
    """The one date ``source`` can mean under the module's conventions; ValueError otherwise."""
    text = source.lower()
    if m := re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)", text):
        return date(int(m[1]), int(m[2]), int(m[3]))
    if m := re.fullmatch(r"(\d\d?)/(\d\d?)/(\d\d|\d{4})", text):  # month/day/year
        year = int(m[3]) + (0 if len(m[3]) == 4 else 1900 if int(m[3]) >= 50 else 2000)
        return date(year, int(m[1]), int(m[2]))
    if m := re.fullmatch(r"(\d\d?)\.(\d\d?)\.(\d{4})", text):  # day.month.year
        return date(int(m[3]), int(m[2]), int(m[1]))
    if not re.fullmatch(r"[a-z0-9]+((, | )[a-z0-9]+)*", text):
        raise ValueError(f"expected words separated by ' ' or ', ' in {source!r}")
    words = re.split(", | ", text)
    weekdays = [WEEKDAY_NAMES[w] for w in words if w in WEEKDAY_NAMES]
    months = [MONTH_NAMES[w] for w in words if w in MONTH_NAMES]
    years = [int(w) for w in words if re.fullmatch(r"\d{4}", w)]
    days = [w for w in words if re.fullmatch(r"\d\d?(st|nd|rd|th)?", w)]
    if len(words) - len(weekdays) - len(months) - len(years) - len(days) != words.count("of"):
        raise ValueError(f"unknown words in {source!r}")
    if not (len(months) == len(years) == len(days) == 1 and len(weekdays) <= 1):
        raise ValueError(f"expected one day, month and year in {source!r}")
    day = int(re.match(r"\d+", days[0])[0])
    suffix = days[0].lstrip("0123456789")
    if suffix and suffix != {1: "st", 21: "st", 31: "st", 2: "nd", 22: "nd", 3: "rd",
                             23: "rd"}.get(day, "th"):
        raise ValueError(f"wrong ordinal in {source!r}")
    result = date(years[0], months[0], day)
    if weekdays and weekdays[0] != result.weekday():
        raise ValueError(f"{source!r}: {result} is not a {calendar.day_name[weekdays[0]]}")
    return result


@pytest.fixture(scope="module")
def examples():
    return generate(3000, seed=0)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    directory = tmp_path_factory.mktemp("dates")
    prepare(directory, seed=0, sizes=SMALL)
    return directory


def test_the_oracle_rejects_wrong_sources():
    assert parse("tuesday 3 march 1998") == date(1998, 3, 3)
    for wrong in ["monday 3 march 1998", "3th march 1998", "3/3/1998x", "3 march of 1998 1999",
                  "21nd of March 1998", "march 1998"]:
        with pytest.raises(ValueError):
            parse(wrong)


@pytest.mark.parametrize(("template", "expected"), list(zip(FORMATS, [
    "Saturday 21 March 1998", "Saturday, March 21st, 1998", "Sat, 21 Mar 1998",
    "March 21st, 1998", "March 21, 1998", "March 21 1998", "Mar 21 1998", "21 March 1998",
    "21 Mar 1998", "21st of March 1998", "3/21/98", "03/21/98", "3/21/1998", "03/21/1998",
    "21.3.1998", "21.03.1998", "1998-03-21"], strict=True)))
def test_render_each_format(template, expected):
    assert render(date(1998, 3, 21), template) == expected
    assert render(date(1998, 3, 21), template, "upper") == expected.upper()
    assert parse(render(date(1998, 3, 21), template, "lower")) == date(1998, 3, 21)


def test_the_notes_examples():
    day = date(1998, 3, 3)
    assert render(day, "{weekday} {d} {month} {yyyy}", "lower") == "tuesday 3 march 1998"
    assert render(day, "{m}/{d}/{yy}") == "3/3/98"
    assert render(day, "{month} {dth}, {yyyy}") == "March 3rd, 1998"
    assert render(day, "{dd}.{mm}.{yyyy}") == "03.03.1998"


@pytest.mark.parametrize(("n", "expected"), [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"),
                                             (11, "11th"), (12, "12th"), (13, "13th"),
                                             (21, "21st"), (22, "22nd"), (23, "23rd"),
                                             (30, "30th"), (31, "31st")])
def test_ordinal(n, expected):
    assert ordinal(n) == expected


def test_two_digit_years_stand_for_1950_to_2049():
    assert render(date(1950, 1, 2), "{m}/{d}/{yy}") == "1/2/50"
    assert render(date(2049, 12, 31), "{mm}/{dd}/{yy}") == "12/31/49"
    for year in (1949, 2050):
        with pytest.raises(DataError, match=f"two-digit year stands for 1950–2049, got {year}"):
            render(date(year, 1, 1), "{m}/{d}/{yy}")


def test_every_source_parses_back_to_its_target(examples):
    for example in examples:
        assert parse(example.source) == date.fromisoformat(example.target), example
        assert example.source in {render(parse(example.source), example.format, c) for c in CASES}
    years = [int(e.target[:4]) for e in examples]
    assert 1900 <= min(years) < 1910 and 2090 < max(years) <= 2099


def test_every_format_and_case_appears(examples):
    assert {e.format for e in examples} == set(FORMATS)
    worded = [e.source for e in examples if re.search("[a-z]", e.source, re.IGNORECASE)]
    kinds = Counter("lower" if s == s.lower() else "upper" if s == s.upper() else "as-is"
                    for s in worded)
    assert set(kinds) == set(CASES) and min(kinds.values()) > len(worded) / 5
    assert any(e.format == "{weekday} {d} {month} {yyyy}" for e in examples)


def test_generate_is_deterministic_and_draws_without_replacement():
    assert generate(200, seed=5) == generate(200, seed=5)
    assert generate(200, seed=5) != generate(200, seed=6)
    assert len({e.target for e in generate(500, seed=1)}) == 500
    pool = [date(2000, 1, 1), date(2000, 1, 2), date(1900, 2, 28)]
    counts = Counter(e.target for e in generate(8, seed=0, dates=pool))
    assert set(counts) == {d.isoformat() for d in pool} and sorted(counts.values()) == [2, 3, 3]
    assert generate(0) == []


def test_prepare_writes_six_aligned_files_and_a_marker(prepared):
    names = sorted(p.name for p in prepared.iterdir())
    assert names == sorted([".done", *(f"{s}.{side}" for s in SPLITS for side in ("src", "tgt"))])
    for split, n in zip(SPLITS, SMALL, strict=True):
        sources = read_lines(prepared / f"{split}.src")
        targets = read_lines(prepared / f"{split}.tgt")
        assert len(sources) == len(targets) == n
        assert all(parse(s) == date.fromisoformat(t) for s, t in zip(sources, targets, strict=True))
    marker = json.loads((prepared / ".done").read_text())
    assert marker == {"generator": "seqkit.data.dates", "seed": 0, "sizes": list(SMALL)}


def test_splits_are_disjoint_by_date_value(prepared):
    targets = {split: read_lines(prepared / f"{split}.tgt") for split in SPLITS}
    train, valid, test = (set(targets[s]) for s in SPLITS)
    assert not train & test and not train & valid and not valid & test
    assert len(valid) == SMALL[1] and len(test) == SMALL[2]  # held-out dates are distinct


def test_prepare_is_deterministic(prepared, tmp_path):
    prepare(tmp_path / "same", seed=0, sizes=SMALL)
    prepare(tmp_path / "other", seed=1, sizes=SMALL)
    for name in ("train.src", "test.tgt"):
        assert (tmp_path / "same" / name).read_bytes() == (prepared / name).read_bytes()
        assert (tmp_path / "other" / name).read_bytes() != (prepared / name).read_bytes()


def test_prepare_runs_once_and_completes_an_interrupted_run(tmp_path, monkeypatch):
    prepare(tmp_path, seed=2, sizes=(30, 5, 5))
    before = (tmp_path / "train.src").read_bytes()
    (tmp_path / "valid.tgt").unlink()
    prepare(tmp_path, seed=2, sizes=(30, 5, 5))
    assert len(read_lines(tmp_path / "valid.tgt")) == 5
    assert (tmp_path / "train.src").read_bytes() == before

    def fail(*args, **kwargs):
        raise AssertionError("prepare regenerated complete data")

    monkeypatch.setattr(dates, "generate", fail)
    prepare(tmp_path, seed=2, sizes=(30, 5, 5))  # complete: kept
    with pytest.raises(DataError, match=r"made with seed 2 and sizes \[30, 5, 5\], not seed 3"):
        prepare(tmp_path, seed=3, sizes=(30, 5, 5))  # never silently another seed's data
    assert (tmp_path / "train.src").read_bytes() == before
    (tmp_path / ".done").unlink()
    with pytest.raises(AssertionError, match="regenerated"):
        prepare(tmp_path, seed=2, sizes=(30, 5, 5))


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: generate(-1), DataError, "n must be ≥ 0, got -1"),
    (lambda: generate(2.0), TypeError, "n must be an int, got 2.0"),
    (lambda: generate(3, dates=[]), DataError, "no dates to draw 3 examples from"),
    (lambda: render(date(2000, 1, 1), FORMATS[0], "title"), DataError,
     "unknown case 'title'; expected one of as-is, lower, upper"),
    (lambda: dates.split_dates(0, (10, 40_000, 40_000)), DataError,
     "valid \\+ test = 80000 examples need that many distinct dates, leaving none of the 73049"),
    (lambda: dates.split_dates(0, (10, 10)), TypeError, "sizes must be three ints"),
    (lambda: dates.split_dates(0, (1, -1, 1)), DataError, r"sizes must be ≥ 0, got \(1, -1, 1\)"),
])
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
