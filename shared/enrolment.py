"""The enrolment state machine.

requested -> dossier complete -> validated (physician) -> active intervention
-> follow-up -> completed; declined, interrupted and reoriented end it early.
The physician may suspend a running enrolment (with a reason and a review
date) and resume it: it then returns to the phase its calendar is in, since
the seed shifts nothing for a pause (PROGRAMME.md, product decisions).
Every early end needs a reason (seed 003: "tout arrêt du suivi sera motivé et
tracé").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from shared.enums import EnrolmentState as S
from shared.enums import Role
from shared.programmes import TEMPLATES, get_template


class Action(StrEnum):
    """What a person asks of an enrolment."""

    COMPLETE_DOSSIER = "complete_dossier"
    VALIDATE = "validate"
    START = "start"
    BEGIN_FOLLOW_UP = "begin_follow_up"
    COMPLETE = "complete"
    DECLINE = "decline"
    INTERRUPT = "interrupt"
    REORIENT = "reorient"
    SUSPEND = "suspend"
    RESUME = "resume"


@dataclass(frozen=True)
class Transition:
    """One allowed move: from which states, to which state, by whom."""

    action: Action
    sources: frozenset[S]
    target: S
    roles: frozenset[Role]
    needs_reason: bool = False


_STAFF = frozenset({Role.COORDINATOR, Role.REFERENT})

TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in (
        Transition(Action.COMPLETE_DOSSIER, frozenset({S.REQUESTED}), S.DOSSIER_COMPLETE, _STAFF),
        Transition(Action.VALIDATE, frozenset({S.DOSSIER_COMPLETE}), S.VALIDATED,
                   frozenset({Role.PHYSICIAN})),
        Transition(Action.START, frozenset({S.VALIDATED}), S.ACTIVE, _STAFF),
        Transition(Action.BEGIN_FOLLOW_UP, frozenset({S.ACTIVE}), S.FOLLOW_UP, _STAFF),
        Transition(Action.COMPLETE, frozenset({S.FOLLOW_UP}), S.COMPLETED, _STAFF),
        Transition(Action.DECLINE, frozenset({S.REQUESTED, S.DOSSIER_COMPLETE, S.VALIDATED}),
                   S.DECLINED, _STAFF | {Role.PHYSICIAN}, needs_reason=True),
        Transition(Action.INTERRUPT, frozenset({S.ACTIVE, S.FOLLOW_UP, S.SUSPENDED}),
                   S.INTERRUPTED, _STAFF | {Role.PHYSICIAN}, needs_reason=True),
        Transition(Action.REORIENT,
                   frozenset({S.DOSSIER_COMPLETE, S.VALIDATED, S.ACTIVE, S.FOLLOW_UP,
                              S.SUSPENDED}),
                   S.REORIENTED, frozenset({Role.PHYSICIAN}), needs_reason=True),
        Transition(Action.SUSPEND, frozenset({S.ACTIVE, S.FOLLOW_UP}), S.SUSPENDED,
                   frozenset({Role.PHYSICIAN}), needs_reason=True),
        # The target is the calendar's phase (see ``resume_state``); ACTIVE stands for it here.
        Transition(Action.RESUME, frozenset({S.SUSPENDED}), S.ACTIVE,
                   frozenset({Role.PHYSICIAN})),
    )
}

TERMINAL_STATES = frozenset({S.COMPLETED, S.DECLINED, S.INTERRUPTED, S.REORIENTED})
# States in which the programme runs: calls are due, adherence is watched.
RUNNING_STATES = frozenset({S.ACTIVE, S.FOLLOW_UP})
# States in which the patient is followed and may log from the tablet: a suspended patient
# still reports health events, and what an offline tablet logged before still arrives.
FOLLOWED_STATES = RUNNING_STATES | {S.SUSPENDED}


class TransitionError(Exception):
    """A transition that the state machine refuses; nothing was changed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def check_transition(state: S, action: Action, role: Role, reason: str | None) -> S:
    """The target state of ``action`` from ``state``, or :class:`TransitionError`."""
    transition = TRANSITIONS[action]
    if state not in transition.sources:
        raise TransitionError(
            "invalid_transition",
            f"cannot {action.value} an enrolment in state {state.value}",
        )
    if role not in transition.roles:
        raise TransitionError(
            "forbidden_transition", f"role {role.value} may not {action.value} an enrolment"
        )
    if transition.needs_reason and not (reason and reason.strip()):
        raise TransitionError("reason_required", f"{action.value} requires a reason")
    return transition.target


@dataclass(frozen=True)
class Pause:
    """A suspension the physician decided: from, until (None while it lasts), why."""

    since: date
    until: date | None
    reason: str | None


def suspensions(steps: Iterable[tuple[Action, date, str | None]]) -> list[Pause]:
    """An enrolment's suspensions from its transitions in order (action, local day,
    reason): each suspend, closed by the resume that follows it."""
    pauses: list[Pause] = []
    for action, day, reason in steps:
        if action == Action.SUSPEND:
            pauses.append(Pause(since=day, until=None, reason=reason))
        elif action == Action.RESUME and pauses and pauses[-1].until is None:
            pauses[-1] = Pause(pauses[-1].since, day, pauses[-1].reason)
    return pauses


def resume_state(in_follow_up: bool) -> S:
    """The state a resumed enrolment returns to: the phase its calendar is in."""
    return S.FOLLOW_UP if in_follow_up else S.ACTIVE


def all_dossier_pieces() -> tuple[str, ...]:
    """Every piece any programme asks for, each once, in the templates' order (forms)."""
    return tuple(dict.fromkeys(p for t in TEMPLATES.values() for p in t.dossier_pieces))


def dossier_pieces(programme_code: str) -> tuple[str, ...]:
    """The pieces a programme's dossier must hold (``ProgrammeTemplate.dossier_pieces``)."""
    return get_template(programme_code).dossier_pieces


def missing_dossier_pieces(checklist: dict[str, bool], programme_code: str) -> list[str]:
    """Pieces of the dossier still missing, in the order the programme lists them."""
    return [piece for piece in dossier_pieces(programme_code) if not checklist.get(piece)]
