"""The enrolment state machine.

requested -> dossier complete -> validated (physician) -> active intervention
-> follow-up -> completed; declined, interrupted and reoriented end it early.
Every early end needs a reason (seed 003: "tout arrêt du suivi sera motivé et
tracé").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.enums import EnrolmentState as S
from shared.enums import Role


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
        Transition(Action.INTERRUPT, frozenset({S.ACTIVE, S.FOLLOW_UP}), S.INTERRUPTED,
                   _STAFF | {Role.PHYSICIAN}, needs_reason=True),
        Transition(Action.REORIENT,
                   frozenset({S.DOSSIER_COMPLETE, S.VALIDATED, S.ACTIVE, S.FOLLOW_UP}),
                   S.REORIENTED, frozenset({Role.PHYSICIAN}), needs_reason=True),
    )
}

TERMINAL_STATES = frozenset({S.COMPLETED, S.DECLINED, S.INTERRUPTED, S.REORIENTED})
# States in which the patient is followed and may log from the tablet.
RUNNING_STATES = frozenset({S.ACTIVE, S.FOLLOW_UP})
DOSSIER_PIECES = ("prescription", "spirometry", "blood_gas", "exercise_test")


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


def missing_dossier_pieces(checklist: dict[str, bool]) -> list[str]:
    """Pieces of the dossier still missing, in the order the seed lists them."""
    return [piece for piece in DOSSIER_PIECES if not checklist.get(piece)]
