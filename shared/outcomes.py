"""Outcomes: a measure before against after, its change, the MCID and a plain verdict."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.endurance import MCID_SECONDS, endurance_change_is_important
from shared.instruments.model import Better, Domain


class Verdict(StrEnum):
    """What a change means for the patient."""

    IMPROVED = "improved"
    UNCHANGED = "unchanged"
    WORSE = "worse"
    NO_THRESHOLD = "no_threshold"  # no published MCID: the change is shown alone
    NOT_MEASURED = "not_measured"


@dataclass(frozen=True)
class Change:
    """One domain from baseline to a later timepoint."""

    before: float | None
    after: float | None
    mcid: float | None
    verdict: Verdict

    @property
    def change(self) -> float | None:
        """After minus before, when both are measured."""
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


def verdict(before: float | None, after: float | None, mcid: float | None,
            better: Better) -> Verdict:
    """Improved or worse when the change reaches the MCID in that direction."""
    if before is None or after is None:
        return Verdict.NOT_MEASURED
    if mcid is None:
        return Verdict.NO_THRESHOLD
    gain = (after - before) if better == Better.HIGHER else (before - after)
    # A tolerance: 3.5 - 3.0 must count as 0.5 despite binary floats.
    if gain >= mcid - 1e-9:
        return Verdict.IMPROVED
    if gain <= -mcid + 1e-9:
        return Verdict.WORSE
    return Verdict.UNCHANGED


def compare(domain: Domain, before: float | None, after: float | None) -> Change:
    """A domain's change with its MCID and verdict."""
    return Change(before, after, domain.mcid, verdict(before, after, domain.mcid, domain.better))


def compare_endurance(before_s: float | None, after_s: float | None) -> Change:
    """Endurance time change against its published MCID (``shared.endurance``)."""
    if before_s is None or after_s is None:
        return Change(before_s, after_s, MCID_SECONDS, Verdict.NOT_MEASURED)
    sign = endurance_change_is_important(before_s, after_s)
    return Change(before_s, after_s, MCID_SECONDS,
                  {1: Verdict.IMPROVED, -1: Verdict.WORSE, 0: Verdict.UNCHANGED}[sign])
