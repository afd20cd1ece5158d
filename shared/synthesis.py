"""The synthesis documents: which ones a programme writes, when, and their workflow as data.

Seed 003: the referent writes an initial synthesis after the inclusion visit
(l.3952-3955), the coordinator validates it and the coordination assistant
sends it by secure messaging (Medimail) or post (l.3957-3960); a final one at
W12 (l.4015-4018) which the coordinator validates and which goes out "after
validation by the physician" (l.4095-4101); a 12-month one validated by the
committee (l.4255-4264), which the physician chairs, so it is co-signed like
the final one. The mid-term review at W6 (l.4012-4020) is written up the same
way as the initial one.

A version moves draft -> submitted (the referent hands it over) -> validated
(the coordinator) -> cosigned (the physician, where ``needs_cosign``) -> sent.
The coordinator may return a submitted version to draft with a reason. Once
validated a version is immutable: changing it starts a new version (revise),
and a validated version not yet sent is then superseded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from shared.enums import Role, SynthesisKind, SynthesisState
from shared.enums import SynthesisState as S


@dataclass(frozen=True)
class SynthesisSpec:
    """One kind of synthesis: its timeline contact and who signs it."""

    kind: SynthesisKind
    contact_key: str
    needs_cosign: bool
    seed_lines: str


SPECS: dict[SynthesisKind, SynthesisSpec] = {s.kind: s for s in (
    SynthesisSpec(SynthesisKind.INITIAL, "synthesis:w0", False, "003 l.3952-3960"),
    SynthesisSpec(SynthesisKind.MID_TERM, "synthesis:w6", False, "003 l.4012-4020"),
    SynthesisSpec(SynthesisKind.FINAL, "synthesis:w12", True, "003 l.4015-4018, l.4095-4101"),
    SynthesisSpec(SynthesisKind.MONTH_12, "synthesis:m12", True, "003 l.4255-4264"),
)}

# Syntheses written in the office from a visit already made: not an appointment for the
# patient's tablet. The 12-month one stays: the patient answers its questionnaires then.
OFFICE_ONLY_KEYS = frozenset(spec.contact_key for spec in SPECS.values()
                             if spec.kind != SynthesisKind.MONTH_12)

# Days after the visit it reports on within which the synthesis is written and sent.
WRITING_DAYS = 14


class Action:
    """What a person asks of a synthesis version."""

    SUBMIT = "submit"
    RETURN = "return"
    VALIDATE = "validate"
    COSIGN = "cosign"
    SEND = "send"
    REVISE = "revise"


@dataclass(frozen=True)
class Step:
    """One allowed move of a version."""

    action: str
    sources: frozenset[SynthesisState]
    target: SynthesisState
    roles: frozenset[Role]
    needs_reason: bool = False


_WRITERS = frozenset({Role.REFERENT, Role.COORDINATOR})
_READY = frozenset({S.VALIDATED, S.COSIGNED})

STEPS: dict[str, Step] = {s.action: s for s in (
    Step(Action.SUBMIT, frozenset({S.DRAFT}), S.SUBMITTED, _WRITERS),
    Step(Action.RETURN, frozenset({S.SUBMITTED}), S.DRAFT, frozenset({Role.COORDINATOR}),
         needs_reason=True),
    Step(Action.VALIDATE, frozenset({S.SUBMITTED}), S.VALIDATED, frozenset({Role.COORDINATOR})),
    Step(Action.COSIGN, frozenset({S.VALIDATED}), S.COSIGNED, frozenset({Role.PHYSICIAN})),
    Step(Action.SEND, _READY, S.SENT, frozenset({Role.COORDINATOR})),
    # Revising leaves this version as it is and opens a new draft (a copy of its text).
    Step(Action.REVISE, _READY | {S.SENT}, S.DRAFT, _WRITERS, needs_reason=True),
)}

# States in which the text can no longer change.
FROZEN = frozenset({S.VALIDATED, S.COSIGNED, S.SENT, S.SUPERSEDED})


class SynthesisError(Exception):
    """A move the workflow refuses; nothing was changed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def check_step(kind: SynthesisKind, state: SynthesisState, action: str, role: Role,
               reason: str | None = None) -> SynthesisState:
    """The state ``action`` leads to, or :class:`SynthesisError`."""
    step = STEPS.get(action)
    if step is None:
        raise SynthesisError("unknown_action", f"unknown action {action!r}")
    if state not in step.sources:
        raise SynthesisError("invalid_transition",
                             f"cannot {action} a synthesis in state {state.value}")
    if role not in step.roles:
        raise SynthesisError("forbidden_transition", f"role {role.value} may not {action}")
    spec = SPECS[kind]
    if action == Action.COSIGN and not spec.needs_cosign:
        raise SynthesisError("invalid_transition", f"a {kind.value} synthesis is not co-signed")
    if action == Action.SEND and spec.needs_cosign and state != S.COSIGNED:
        raise SynthesisError("cosign_required",
                             f"a {kind.value} synthesis is sent once the physician co-signed it")
    if step.needs_reason and not (reason and reason.strip()):
        raise SynthesisError("reason_required", f"{action} requires a reason")
    return step.target


def next_actions(kind: SynthesisKind, state: SynthesisState, role: Role) -> list[str]:
    """The actions ``role`` may take on a version in ``state`` (buttons of the page)."""
    allowed = []
    for action in STEPS:
        try:
            check_step(kind, state, action, role, reason="-")
        except SynthesisError:
            continue
        allowed.append(action)
    return allowed


def is_secure_address(email: str | None, secure_domains: tuple[str, ...]) -> bool:
    """Whether an e-mail address belongs to a secure health messaging domain (MSSanté):
    only there may a synthesis travel as an attachment (PROGRAMME.md, product decisions)."""
    if not email or "@" not in email:
        return False
    domain = email.rsplit("@", 1)[1].strip().lower()
    return any(domain == d or domain.endswith("." + d) for d in secure_domains)


def report_until(kind: SynthesisKind, start: date, intervention_weeks: int,
                 total_weeks: int) -> date:
    """The last day whose figures a synthesis of ``kind`` reports."""
    if kind == SynthesisKind.INITIAL:
        return start
    if kind == SynthesisKind.MID_TERM:
        return start + timedelta(days=7 * ((intervention_weeks + 1) // 2) - 1)
    if kind == SynthesisKind.FINAL:
        return start + timedelta(days=7 * intervention_weeks - 1)
    return start + timedelta(days=7 * total_weeks - 1)
