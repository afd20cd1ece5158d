"""Instruments: answers checked item by item, scores by each manual's rule.

Property tests (hypothesis) on every scoring rule: scores stay within the
domain's range, the missing-item rule holds, a better answer never gives a
worse score; and a hand-computed example for each instrument.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.enums import Questionnaire
from shared.instruments import CATALOGUE, AnswerProblem, InvalidAnswers, get_instrument
from shared.instruments.model import Instrument
from shared.instruments.startback import HIGH, LOW, MEDIUM
from shared.programmes import TEMPLATES


def answers_for(instrument: Instrument) -> st.SearchStrategy[dict[str, int]]:
    """Complete answers drawn on each item's own scale."""
    return st.fixed_dictionaries({
        item.code: st.integers(item.scale.low, item.scale.high) for item in instrument.items})


INSTRUMENTS = list(CATALOGUE.values())


# -- the hand-computed examples ------------------------------------------------------------

CRQ_W0 = {"DY1": 3, "DY2": 4, "DY3": 4, "DY4": 5, "DY5": 4,
          "FA1": 3, "FA2": 3, "FA3": 4, "FA4": 4,
          "EF1": 5, "EF2": 4, "EF3": 5, "EF4": 6, "EF5": 5, "EF6": 4, "EF7": 6,
          "MA1": 4, "MA2": 5, "MA3": 4, "MA4": 5}


def test_crq_domains_are_item_means_by_hand():
    # dyspnoea (3+4+4+5+4)/5 = 4.0; fatigue (3+3+4+4)/4 = 3.5;
    # emotional function (5+4+5+6+5+4+6)/7 = 35/7 = 5.0; mastery (4+5+4+5)/4 = 4.5;
    # overall 87/20 = 4.35.
    score = get_instrument("crq").score(CRQ_W0)
    assert score.domains == {"dyspnoea": 4.0, "fatigue": 3.5, "emotional_function": 5.0,
                             "mastery": 4.5}
    assert score.total == pytest.approx(4.35)


def test_crq_one_blank_item_per_domain_scores_the_others_two_refuse():
    answers = dict(CRQ_W0)
    del answers["FA1"]  # fatigue (3+4+4)/3
    assert get_instrument("crq").score(answers).domains["fatigue"] == pytest.approx(11 / 3)
    del answers["FA2"]
    with pytest.raises(InvalidAnswers) as caught:
        get_instrument("crq").score(answers)
    assert caught.value.problems == {"FA1": AnswerProblem.MISSING, "FA2": AnswerProblem.MISSING}


def test_oswestry_fairbank_examples():
    odi = get_instrument("oswestry")
    ten = dict(zip([i.code for i in odi.items], [2, 2, 1, 2, 2, 2, 1, 1, 2, 1], strict=True))
    assert odi.score(ten).total == pytest.approx(32.0)  # 16 / 50
    nine = {k: v for k, v in ten.items() if k != "sex_life"}
    nine["travelling"] = 2  # still 16 points, now over 45
    assert odi.score(nine).total == pytest.approx(100 * 16 / 45)  # 35.6 %


def test_oswestry_three_blank_sections_name_them():
    odi = get_instrument("oswestry")
    answers = {i.code: 1 for i in odi.items[3:]}
    with pytest.raises(InvalidAnswers) as caught:
        odi.score(answers)
    assert set(caught.value.problems) == {"pain_intensity", "personal_care", "lifting"}


def test_dallas_domains_in_percent_by_hand():
    dallas = get_instrument("dallas")
    answers = {i.code: 0 for i in dallas.items}
    answers.update({"DA1": 70, "DA2": 40, "DA3": 50, "DA4": 60, "DA5": 30, "DA6": 50,
                    "DA7": 50, "WL1": 80, "WL2": 60, "WL3": 40, "AD1": 30, "SI3": 15})
    assert dallas.score(answers).domains == {
        "daily_activities": 50.0, "work_leisure": 60.0, "anxiety_depression": 10.0,
        "social_interest": 5.0}


@pytest.mark.parametrize(("agree", "bother", "overall", "distress", "group"), [
    ((), 0, 0, 0, LOW),
    (("1", "2", "3"), 2, 3, 0, LOW),            # three physical items, moderately bothered
    (("1", "2", "3", "4"), 2, 4, 0, MEDIUM),    # overall 4: medium
    (("1", "5", "6", "7"), 2, 4, 3, MEDIUM),    # distress 3 is not high
    (("5", "6", "7"), 3, 4, 4, HIGH),           # "very much" bothered counts: distress 4
    (("1", "2", "3", "4", "5", "6", "7", "8"), 4, 9, 5, HIGH),
])
def test_startback_keele_stratification(agree, bother, overall, distress, group):
    answers = {str(n): int(str(n) in agree) for n in range(1, 9)} | {"9": bother}
    score = get_instrument("startback").score(answers)
    assert (score.domains, score.category) == (
        {"overall": overall, "distress": distress}, group)


def test_weekly_symptoms_and_satisfaction_score_their_items():
    assert get_instrument("weekly_symptoms").score(
        {"dyspnoea": 4, "fatigue": 6, "pain": 1}).domains == {
        "dyspnoea": 4, "fatigue": 6, "pain": 1}
    assert get_instrument("satisfaction").score({"satisfaction": 8}).total == 8


# -- answers checked item by item --------------------------------------------------------

@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=lambda i: i.code)
def test_unknown_items_and_values_off_scale_are_named(instrument):
    first, last = instrument.items[0], instrument.items[-1]
    answers = {i.code: i.scale.low for i in instrument.items}
    answers |= {first.code: first.scale.high + 1, last.code: 1.5, "Z99": 1}
    if last is first:
        answers[first.code] = first.scale.high + 1
    with pytest.raises(InvalidAnswers) as caught:
        instrument.score(answers)
    problems = caught.value.problems
    assert problems["Z99"] == AnswerProblem.UNKNOWN_ITEM
    assert problems[first.code] == AnswerProblem.NOT_ON_SCALE
    if last is not first:
        assert problems[last.code] == AnswerProblem.NOT_ON_SCALE


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=lambda i: i.code)
def test_booleans_and_text_are_not_numbers(instrument):
    code = instrument.items[0].code
    for value in (True, "3", None):
        with pytest.raises(InvalidAnswers) as caught:
            instrument.check({**{i.code: i.scale.low for i in instrument.items}, code: value})
        assert caught.value.problems == {code: AnswerProblem.NOT_A_NUMBER}


# -- properties of every scoring rule ------------------------------------------------------

@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=lambda i: i.code)
def test_scores_stay_within_each_domain_range(instrument):
    @given(answers_for(instrument))
    def check(answers):
        score = instrument.score(answers)
        for domain in instrument.domains:
            value = score.domains[domain.code]
            assert domain.low <= value <= domain.high
        if instrument.total is not None:
            assert instrument.total.low <= score.total <= instrument.total.high
    check()


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=lambda i: i.code)
def test_a_better_answer_never_gives_a_worse_score(instrument):
    """Monotonicity: moving one item one point towards 'better' never worsens a domain."""
    @given(answers_for(instrument), st.data())
    def check(answers, data):
        item = data.draw(st.sampled_from(instrument.items))
        before = instrument.score(answers)
        raised = dict(answers, **{item.code: min(item.scale.high, answers[item.code] + 1)})
        after = instrument.score(raised)
        for domain in instrument.domains:
            # Every item is keyed the way of its domain: a higher answer never lowers it
            # (better is higher for the CRQ, lower for the ODI, Dallas and STarT Back).
            assert after.domains[domain.code] >= before.domains[domain.code]
    check()


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=lambda i: i.code)
def test_missing_items_follow_the_instruments_rule(instrument):
    @given(answers_for(instrument), st.data())
    def check(answers, data):
        dropped = data.draw(st.sets(st.sampled_from([i.code for i in instrument.items]),
                                    min_size=1))
        partial = {k: v for k, v in answers.items() if k not in dropped}
        if instrument.missing_allowed(set(dropped)):
            score = instrument.score(partial)
            for domain in instrument.domains:
                assert domain.low <= score.domains[domain.code] <= domain.high
        else:
            with pytest.raises(InvalidAnswers) as caught:
                instrument.score(partial)
            assert set(caught.value.problems) == set(dropped)
            assert set(caught.value.problems.values()) == {AnswerProblem.MISSING}
    check()


@given(answers_for(get_instrument("crq")), st.data())
def test_crq_blank_item_scores_as_the_mean_of_the_rest(answers, data):
    item = data.draw(st.sampled_from(get_instrument("crq").items))
    partial = {k: v for k, v in answers.items() if k != item.code}
    rest = [v for k, v in partial.items() if k[:2] == item.code[:2]]
    assert get_instrument("crq").score(partial).domains[item.domain] == pytest.approx(
        sum(rest) / len(rest))


@given(answers_for(get_instrument("oswestry")))
def test_oswestry_is_twice_the_sum_when_complete(answers):
    assert get_instrument("oswestry").score(answers).total == pytest.approx(
        2 * sum(answers.values()))


@given(answers_for(get_instrument("startback")))
def test_startback_high_risk_exactly_when_distress_reaches_four(answers):
    score = get_instrument("startback").score(answers)
    assert (score.category == HIGH) == (score.domains["distress"] >= 4)
    assert score.domains["distress"] <= score.domains["overall"]


def test_every_programme_instrument_has_a_definition_and_timepoints():
    for template in TEMPLATES.values():
        for code in template.questionnaires:
            assert get_instrument(code).due_at(template.code), (template.code, code)
    assert set(CATALOGUE) == set(Questionnaire)


def test_wording_ships_only_for_reprise_instruments():
    shipped = {i.code for i in INSTRUMENTS if i.wording_shipped}
    assert shipped == {Questionnaire.SATISFACTION, Questionnaire.WEEKLY_SYMPTOMS}
    for code in (Questionnaire.CRQ, Questionnaire.DALLAS, Questionnaire.STARTBACK):
        assert all(item.text_fr is None for item in get_instrument(code).items)
