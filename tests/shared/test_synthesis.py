"""The synthesis workflow as data: who may move a version where, and the secure domains."""

from __future__ import annotations

import pytest

from shared.enums import Role, SynthesisKind, SynthesisState
from shared.synthesis import (
    FROZEN,
    SPECS,
    Action,
    SynthesisError,
    check_step,
    is_secure_address,
    next_actions,
)

S = SynthesisState


def test_the_referent_drafts_the_coordinator_validates_and_sends_an_initial_one():
    kind = SynthesisKind.INITIAL
    assert check_step(kind, S.DRAFT, Action.SUBMIT, Role.REFERENT) == S.SUBMITTED
    assert check_step(kind, S.SUBMITTED, Action.VALIDATE, Role.COORDINATOR) == S.VALIDATED
    assert check_step(kind, S.VALIDATED, Action.SEND, Role.COORDINATOR) == S.SENT
    assert next_actions(kind, S.VALIDATED, Role.PHYSICIAN) == []


@pytest.mark.parametrize("kind", [SynthesisKind.FINAL, SynthesisKind.MONTH_12])
def test_final_and_12_month_ones_are_sent_once_co_signed(kind):
    assert SPECS[kind].needs_cosign
    with pytest.raises(SynthesisError) as refused:
        check_step(kind, S.VALIDATED, Action.SEND, Role.COORDINATOR)
    assert refused.value.code == "cosign_required"
    assert check_step(kind, S.VALIDATED, Action.COSIGN, Role.PHYSICIAN) == S.COSIGNED
    assert next_actions(kind, S.COSIGNED, Role.COORDINATOR) == [Action.SEND, Action.REVISE]


@pytest.mark.parametrize(("state", "action", "role", "code"), [
    (S.DRAFT, Action.VALIDATE, Role.COORDINATOR, "invalid_transition"),
    (S.SUBMITTED, Action.VALIDATE, Role.REFERENT, "forbidden_transition"),
    (S.SUBMITTED, Action.RETURN, Role.COORDINATOR, "reason_required"),
    (S.VALIDATED, Action.COSIGN, Role.PHYSICIAN, "invalid_transition"),  # initial: none
    (S.SENT, Action.REVISE, Role.REFERENT, "reason_required"),
    (S.SUPERSEDED, Action.SEND, Role.COORDINATOR, "invalid_transition"),
    (S.DRAFT, "publish", Role.COORDINATOR, "unknown_action"),
])
def test_refused_moves_name_their_reason(state, action, role, code):
    with pytest.raises(SynthesisError) as refused:
        check_step(SynthesisKind.INITIAL, state, action, role)
    assert refused.value.code == code


def test_validated_text_is_frozen_and_revising_starts_a_draft():
    assert {S.VALIDATED, S.COSIGNED, S.SENT, S.SUPERSEDED} == FROZEN
    assert check_step(SynthesisKind.MID_TERM, S.SENT, Action.REVISE, Role.REFERENT,
                      "date corrigée") == S.DRAFT


@pytest.mark.parametrize(("email", "secure"), [
    ("dr.martin@medecin.mssante.fr", True), ("cabinet@MSSANTE.FR", True),
    ("x@notmssante.fr", False), ("x@mssante.fr.example.org", False), ("", False),
    (None, False), ("no-at-sign", False),
])
def test_secure_addresses_are_on_a_configured_domain(email, secure):
    assert is_secure_address(email, ("mssante.fr",)) is secure
