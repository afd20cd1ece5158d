"""The shape of an instrument: items on a response scale, domains, a scoring rule.

Pure data and arithmetic (no Flask, Kivy or SQLAlchemy). The server validates
and scores every answer with these definitions; the tablet and the staff
forms lay their items out from them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from numbers import Real

from shared.enums import Questionnaire


class Filler(StrEnum):
    """Who fills an instrument in."""

    PATIENT = "patient"  # on the tablet, at home
    STAFF = "staff"  # the referent, at a visit


class Better(StrEnum):
    """Which way a score improves."""

    HIGHER = "higher"
    LOWER = "lower"


class AnswerProblem(StrEnum):
    """Why an answer is refused (the server words it)."""

    UNKNOWN_ITEM = "unknown_item"
    NOT_A_NUMBER = "not_a_number"
    NOT_ON_SCALE = "not_on_scale"
    MISSING = "missing"


@dataclass(frozen=True)
class Scale:
    """An integer response scale from ``low`` to ``high`` with its two anchors."""

    low: int
    high: int
    anchor_low_fr: str
    anchor_low_en: str
    anchor_high_fr: str
    anchor_high_en: str
    # Buttons the tablet shows (a VAS in %, for instance, by tens); any integer is valid.
    step: int = 1
    # Labels of every point, when the instrument names them (ours only).
    labels_fr: tuple[str, ...] = ()
    labels_en: tuple[str, ...] = ()

    def contains(self, value: object) -> bool:
        """Whether ``value`` is an integer point of the scale."""
        return (isinstance(value, Real) and not isinstance(value, bool)
                and float(value).is_integer() and self.low <= value <= self.high)

    def points(self) -> tuple[int, ...]:
        """The points offered as buttons."""
        return tuple(range(self.low, self.high + 1, self.step))


@dataclass(frozen=True)
class Item:
    """One item: its code on the wire, its number on the form, its domain and scale."""

    code: str
    number: int
    domain: str
    scale: Scale
    # Wording, only for instruments whose wording the project may ship.
    text_fr: str | None = None
    text_en: str | None = None


@dataclass(frozen=True)
class Domain:
    """A scored dimension, its range, which way is better, and its MCID."""

    code: str
    title_fr: str
    title_en: str
    low: float
    high: float
    better: Better
    unit: str = ""
    mcid: float | None = None


@dataclass(frozen=True)
class Timepoint:
    """When an instrument is due: programme week of the visit and its window in days."""

    code: str  # W0, W6, W12, M12, or "weekly"
    week: int  # programme week after which it falls (0: the start day)
    opens_days: int = 7  # days before the due day
    closes_days: int = 14  # days after the due day


@dataclass(frozen=True)
class Score:
    """What a scoring rule gives: per-domain scores, a total, a category."""

    domains: dict[str, float | None]
    total: float | None = None
    category: str | None = None


class InvalidAnswers(ValueError):
    """Answers that break the definition: item code to the problem with it."""

    def __init__(self, problems: dict[str, AnswerProblem]):
        super().__init__(", ".join(f"{k}: {v}" for k, v in sorted(problems.items())))
        self.problems = problems


@dataclass(frozen=True)
class Instrument:
    """One questionnaire or scale, as data plus its scoring rule."""

    code: Questionnaire
    title_fr: str
    title_en: str
    items: tuple[Item, ...]
    domains: tuple[Domain, ...]
    # Scores complete-enough answers (already validated) into domains, total, category.
    scorer: Callable[[Mapping[str, int]], Score]
    # Items that may stay blank, per domain or overall, for ``missing_allowed`` below.
    missing_allowed: Callable[[set[str]], bool]
    missing_rule_fr: str
    missing_rule_en: str
    fillers: tuple[Filler, ...]
    # Programme template code -> when it is due.
    timepoints: Mapping[str, tuple[Timepoint, ...]]
    reference: str  # the scoring manual or paper followed
    mcid_source: str
    licence: str
    wording_shipped: bool
    total: Domain | None = None
    categories: tuple[str, ...] = ()
    item_by_code: Mapping[str, Item] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "item_by_code", {i.code: i for i in self.items})

    def check(self, answers: Mapping[str, object]) -> dict[str, int]:
        """The answers as integers, or ``InvalidAnswers`` naming every bad item."""
        problems: dict[str, AnswerProblem] = {}
        clean: dict[str, int] = {}
        for code, value in answers.items():
            item = self.item_by_code.get(code)
            if item is None:
                problems[code] = AnswerProblem.UNKNOWN_ITEM
            elif not isinstance(value, Real) or isinstance(value, bool):
                problems[code] = AnswerProblem.NOT_A_NUMBER
            elif not item.scale.contains(value):
                problems[code] = AnswerProblem.NOT_ON_SCALE
            else:
                clean[code] = int(value)
        missing = {i.code for i in self.items if i.code not in answers}
        if missing and not self.missing_allowed(missing):
            problems.update(dict.fromkeys(missing, AnswerProblem.MISSING))
        if problems:
            raise InvalidAnswers(problems)
        return clean

    def score(self, answers: Mapping[str, object]) -> Score:
        """Check then score; the only way a score is made."""
        return self.scorer(self.check(answers))

    def domain(self, code: str) -> Domain:
        """A domain by code (the total included)."""
        for domain in (*self.domains, *((self.total,) if self.total else ())):
            if domain.code == code:
                return domain
        raise KeyError(code)

    def items_of(self, domain: str) -> tuple[Item, ...]:
        """The items of one domain, in form order."""
        return tuple(i for i in self.items if i.domain == domain)

    def due_at(self, programme_code: str) -> tuple[Timepoint, ...]:
        """Timepoints of this instrument in a programme (none when it is not used there)."""
        return self.timepoints.get(programme_code, ())


def mean(values: list[int]) -> float | None:
    """Arithmetic mean, None for no values."""
    return sum(values) / len(values) if values else None


def no_missing(missing: set[str]) -> bool:
    """Missing-item rule of instruments that need every item."""
    return not missing
