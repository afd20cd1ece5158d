"""The enrolment state machine: every allowed move, every refused one and why."""

from __future__ import annotations

from datetime import date

import pytest

from shared.enrolment import (
    FOLLOWED_STATES,
    RUNNING_STATES,
    TERMINAL_STATES,
    TRANSITIONS,
    Action,
    Pause,
    TransitionError,
    all_dossier_pieces,
    check_transition,
    dossier_pieces,
    missing_dossier_pieces,
    resume_state,
    suspensions,
)
from shared.enums import EnrolmentState as S
from shared.enums import Role

REASON = "patient moved to another region"

ALLOWED = [
    (source, action, role)
    for action, transition in TRANSITIONS.items()
    for source in sorted(transition.sources)
    for role in sorted(transition.roles)
]
NOT_ALLOWED = [
    (state, action)
    for state in S
    for action in Action
    if state not in TRANSITIONS[action].sources
]
WRONG_ROLE = [
    (source, action, role)
    for action, transition in TRANSITIONS.items()
    for source in sorted(transition.sources)
    for role in Role
    if role not in transition.roles
]
WITH_REASON = [a for a, t in TRANSITIONS.items() if t.needs_reason]
WITHOUT_REASON = [a for a, t in TRANSITIONS.items() if not t.needs_reason]


def an_allowed_role(action: Action) -> Role:
    return sorted(TRANSITIONS[action].roles)[0]


def test_the_transition_table_is_the_documented_one():
    staff = {Role.COORDINATOR, Role.REFERENT}
    expected = {
        Action.COMPLETE_DOSSIER: ({S.REQUESTED}, S.DOSSIER_COMPLETE, staff, False),
        Action.VALIDATE: ({S.DOSSIER_COMPLETE}, S.VALIDATED, {Role.PHYSICIAN}, False),
        Action.START: ({S.VALIDATED}, S.ACTIVE, staff, False),
        Action.BEGIN_FOLLOW_UP: ({S.ACTIVE}, S.FOLLOW_UP, staff, False),
        Action.COMPLETE: ({S.FOLLOW_UP}, S.COMPLETED, staff, False),
        Action.DECLINE: ({S.REQUESTED, S.DOSSIER_COMPLETE, S.VALIDATED}, S.DECLINED,
                         staff | {Role.PHYSICIAN}, True),
        Action.INTERRUPT: ({S.ACTIVE, S.FOLLOW_UP, S.SUSPENDED}, S.INTERRUPTED,
                           staff | {Role.PHYSICIAN}, True),
        Action.REORIENT: ({S.DOSSIER_COMPLETE, S.VALIDATED, S.ACTIVE, S.FOLLOW_UP,
                           S.SUSPENDED}, S.REORIENTED, {Role.PHYSICIAN}, True),
        Action.SUSPEND: ({S.ACTIVE, S.FOLLOW_UP}, S.SUSPENDED, {Role.PHYSICIAN}, True),
        Action.RESUME: ({S.SUSPENDED}, S.ACTIVE, {Role.PHYSICIAN}, False),
    }
    assert set(TRANSITIONS) == set(Action)
    for action, (sources, target, roles, needs_reason) in expected.items():
        transition = TRANSITIONS[action]
        assert transition.action == action
        assert transition.sources == sources
        assert transition.target == target
        assert transition.roles == roles
        assert transition.needs_reason is needs_reason


def test_the_table_yields_the_expected_number_of_cases():
    assert len(ALLOWED) == 35
    assert len(NOT_ALLOWED) == len(S) * len(Action) - 19 == 81


@pytest.mark.parametrize(("state", "action", "role"), ALLOWED)
def test_every_allowed_transition_succeeds_with_an_allowed_role(state, action, role):
    reason = REASON if TRANSITIONS[action].needs_reason else None
    assert check_transition(state, action, role, reason) == TRANSITIONS[action].target


@pytest.mark.parametrize("action", WITHOUT_REASON)
def test_transitions_without_reason_also_accept_one(action):
    state = sorted(TRANSITIONS[action].sources)[0]
    target = TRANSITIONS[action].target
    assert check_transition(state, action, an_allowed_role(action), None) == target
    assert check_transition(state, action, an_allowed_role(action), "") == target
    assert check_transition(state, action, an_allowed_role(action), REASON) == target


@pytest.mark.parametrize(("state", "action"), NOT_ALLOWED)
def test_every_other_state_action_pair_is_an_invalid_transition(state, action):
    with pytest.raises(TransitionError) as caught:
        check_transition(state, action, an_allowed_role(action), REASON)
    assert caught.value.code == "invalid_transition"
    assert action.value in caught.value.message and state.value in caught.value.message


@pytest.mark.parametrize(("state", "action"), NOT_ALLOWED)
def test_an_invalid_transition_is_reported_before_role_and_reason(state, action):
    with pytest.raises(TransitionError) as caught:
        check_transition(state, action, Role.PATIENT, None)
    assert caught.value.code == "invalid_transition"


@pytest.mark.parametrize(("state", "action", "role"), WRONG_ROLE)
def test_a_role_outside_the_transition_is_forbidden(state, action, role):
    with pytest.raises(TransitionError) as caught:
        check_transition(state, action, role, REASON)
    assert caught.value.code == "forbidden_transition"
    assert role.value in caught.value.message


@pytest.mark.parametrize("role", [Role.PATIENT, Role.ADMIN])
def test_patients_and_admins_may_not_move_any_enrolment(role):
    for action, transition in TRANSITIONS.items():
        assert role not in transition.roles, action


@pytest.mark.parametrize("reason", [None, "", " ", "   ", "\t\n"])
@pytest.mark.parametrize("action", WITH_REASON)
def test_an_early_end_without_a_reason_is_refused(action, reason):
    for state in TRANSITIONS[action].sources:
        with pytest.raises(TransitionError) as caught:
            check_transition(state, action, an_allowed_role(action), reason)
        assert caught.value.code == "reason_required"


@pytest.mark.parametrize("action", WITH_REASON)
def test_a_wrong_role_is_reported_before_a_missing_reason(action):
    state = sorted(TRANSITIONS[action].sources)[0]
    with pytest.raises(TransitionError) as caught:
        check_transition(state, action, Role.PATIENT, None)
    assert caught.value.code == "forbidden_transition"


def test_transition_error_carries_code_and_message():
    with pytest.raises(TransitionError) as caught:
        check_transition(S.COMPLETED, Action.START, Role.COORDINATOR, None)
    error = caught.value
    assert error.code == "invalid_transition"
    assert str(error) == error.message == "cannot start an enrolment in state completed"


@pytest.mark.parametrize("state", sorted(TERMINAL_STATES))
def test_terminal_states_have_no_outgoing_transition(state):
    assert all(state not in t.sources for t in TRANSITIONS.values())
    for action in Action:
        with pytest.raises(TransitionError) as caught:
            check_transition(state, action, an_allowed_role(action), REASON)
        assert caught.value.code == "invalid_transition"


def test_terminal_states_are_exactly_the_states_nothing_leaves():
    sources = set().union(*(t.sources for t in TRANSITIONS.values()))
    assert set(S) - sources == TERMINAL_STATES
    assert {S.COMPLETED, S.DECLINED, S.INTERRUPTED, S.REORIENTED} == TERMINAL_STATES
    assert {S.ACTIVE, S.FOLLOW_UP} == RUNNING_STATES
    assert not RUNNING_STATES & TERMINAL_STATES


def reachable_from(origin: S) -> set[S]:
    reachable, frontier = {origin}, [origin]
    while frontier:
        state = frontier.pop()
        for transition in TRANSITIONS.values():
            if state in transition.sources and transition.target not in reachable:
                reachable.add(transition.target)
                frontier.append(transition.target)
    return reachable


def test_every_state_is_reachable_from_requested():
    assert reachable_from(S.REQUESTED) == set(S)


@pytest.mark.parametrize("state", sorted(set(S) - TERMINAL_STATES))
def test_every_open_state_can_still_be_ended_early_or_completed(state):
    assert reachable_from(state) & TERMINAL_STATES
    # An early end (with a reason) is possible from every open state.
    early = [t for t in TRANSITIONS.values() if t.needs_reason and state in t.sources]
    assert early, state


def test_the_happy_path_walks_from_request_to_completion():
    steps = [
        (Action.COMPLETE_DOSSIER, Role.COORDINATOR, S.DOSSIER_COMPLETE),
        (Action.VALIDATE, Role.PHYSICIAN, S.VALIDATED),
        (Action.START, Role.REFERENT, S.ACTIVE),
        (Action.BEGIN_FOLLOW_UP, Role.REFERENT, S.FOLLOW_UP),
        (Action.COMPLETE, Role.COORDINATOR, S.COMPLETED),
    ]
    state = S.REQUESTED
    for action, role, expected in steps:
        state = check_transition(state, action, role, None)
        assert state == expected
    assert state in TERMINAL_STATES


# --- Dossier ----------------------------------------------------------------------------


RESP = "respiratory_home"
LBP = "low_back_pain_home"
RESP_PIECES = dossier_pieces(RESP)


def test_an_empty_dossier_misses_every_piece_in_seed_order():
    assert missing_dossier_pieces({}, RESP) == [
        "prescription", "spirometry", "blood_gas", "exercise_test"]
    assert tuple(missing_dossier_pieces({}, RESP)) == RESP_PIECES


def test_a_complete_dossier_misses_nothing():
    assert missing_dossier_pieces(dict.fromkeys(RESP_PIECES, True), RESP) == []


def test_pieces_ticked_false_are_still_missing():
    checklist = {"prescription": True, "spirometry": False, "blood_gas": True,
                 "exercise_test": False}
    assert missing_dossier_pieces(checklist, RESP) == ["spirometry", "exercise_test"]


def test_missing_pieces_keep_seed_order_whatever_the_checklist_order():
    checklist = {"exercise_test": False, "blood_gas": True, "prescription": False}
    assert missing_dossier_pieces(checklist, RESP) == [
        "prescription", "spirometry", "exercise_test"]


def test_unknown_checklist_entries_are_ignored():
    checklist = dict.fromkeys(RESP_PIECES, True) | {"ecg": False, "x_ray": True}
    assert missing_dossier_pieces(checklist, RESP) == []


def test_low_back_pain_dossier_asks_no_spirometry_or_blood_gas_seed_000():
    pieces = dossier_pieces(LBP)
    assert "spirometry" not in pieces and "blood_gas" not in pieces
    assert pieces == ("prescription", "orientation_scales", "stay_report",
                      "warning_signs_screening")
    assert missing_dossier_pieces(dict.fromkeys(pieces, True), LBP) == []


def test_every_programme_piece_is_offered_once_by_forms():
    offered = all_dossier_pieces()
    assert len(offered) == len(set(offered))
    assert set(RESP_PIECES) | set(dossier_pieces(LBP)) == set(offered)


# --- Suspension -------------------------------------------------------------------------


def test_only_the_physician_suspends_a_running_enrolment_with_a_reason():
    for state in (S.ACTIVE, S.FOLLOW_UP):
        assert check_transition(state, Action.SUSPEND, Role.PHYSICIAN, "hospitalisé") == (
            S.SUSPENDED)
    with pytest.raises(TransitionError) as refused:
        check_transition(S.ACTIVE, Action.SUSPEND, Role.REFERENT, "vacances")
    assert refused.value.code == "forbidden_transition"
    with pytest.raises(TransitionError) as refused:
        check_transition(S.ACTIVE, Action.SUSPEND, Role.PHYSICIAN, " ")
    assert refused.value.code == "reason_required"
    with pytest.raises(TransitionError):
        check_transition(S.VALIDATED, Action.SUSPEND, Role.PHYSICIAN, "x")


def test_a_suspended_enrolment_resumes_into_the_phase_of_its_calendar():
    assert check_transition(S.SUSPENDED, Action.RESUME, Role.PHYSICIAN, None) in RUNNING_STATES
    assert resume_state(in_follow_up=False) == S.ACTIVE
    assert resume_state(in_follow_up=True) == S.FOLLOW_UP
    assert S.SUSPENDED in FOLLOWED_STATES and S.SUSPENDED not in RUNNING_STATES


def test_a_suspended_enrolment_can_still_be_interrupted_or_reoriented():
    assert check_transition(S.SUSPENDED, Action.INTERRUPT, Role.PHYSICIAN, "x") == S.INTERRUPTED
    assert check_transition(S.SUSPENDED, Action.REORIENT, Role.PHYSICIAN, "x") == S.REORIENTED


def test_suspensions_pair_each_suspend_with_the_resume_that_follows():
    steps = [(Action.RESUME, date(2025, 5, 1), None),  # no suspension open: ignored
             (Action.SUSPEND, date(2025, 5, 26), "Chute"),
             (Action.RESUME, date(2025, 6, 23), None),
             (Action.SUSPEND, date(2025, 9, 1), "Exacerbation")]
    assert suspensions(steps) == [Pause(date(2025, 5, 26), date(2025, 6, 23), "Chute"),
                                  Pause(date(2025, 9, 1), None, "Exacerbation")]
