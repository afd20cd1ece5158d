"""The programme's indicators on a small fixed cohort, each one counted by hand.

The cohort (year 2025, the programmes' year N; the clock on 2 March 2026, so
every week of 2025 is over). Respiratory unless said; days are local.

  A  dossier 16 Dec 2024, start 6 Jan, follow-up 31 Mar, completed 29 Dec.
     CRQ 4.0 -> 4.6 (+0.6 >= MCID 0.5: improved); endurance 300 -> 420 s (+120 >=
     min(101, 33 % of 300 = 99): improved). Hospital days: 10 at W0 (the year before),
     2 at W12 and 1 at the +1 month call (after: 3). +1 month call by phone.
     Sessions: 3 in its first follow-up week (31 Mar, Q1), 3 in intervention week 5
     (never counted: not follow-up). A hospitalisation on 10 Jun (follow-up: not an
     incident of the intervention).
  B  dossier 6 Jan, start 3 Feb, follow-up 28 Apr, still followed. CRQ 4.0 -> 4.2
     (unchanged); endurance 300 -> 330 s (unchanged). +1 month call by video.
     Sessions: 3 a week in its ten Q2 follow-up weeks (28 Apr - 30 Jun).
  C  dossier 20 Jan, start 3 Mar (42 days), interrupted 1 Apr (in the intervention).
     An exacerbation on 20 Mar.
  D  dossier 19 May, start 2 Jun, follow-up 25 Aug, reoriented 6 Oct. A fall on
     1 Jul (intervention). +1 month call by phone (22 Sep). Sessions: 2 a week in its
     six Q3 follow-up weeks (below 3).
  F  started 4 Mar 2024, follow-up 27 May 2024, completed 3 Mar 2025 (no hospital days).
  G  requested only.
  E  low back pain: dossier 24 Mar, start 7 Apr, follow-up 30 Jun. Oswestry 40 -> 25
     (-15, lower is better, MCID 10: improved).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from server.extensions import db
from server.models import (
    AuditEntry,
    IndicatorSnapshot,
    QuestionnaireResponse,
)
from server.services import indicators
from server.services.errors import Forbidden
from shared.enrolment import Action
from shared.enums import (
    Role,
)
from shared.indicators import INDICATORS

RESP, LBP = "respiratory_home", "low_back_pain_home"
FOLLOW, COMPLETE = Action.BEGIN_FOLLOW_UP, Action.COMPLETE


def _figures(programme: str, year: int = 2025) -> dict[str, indicators.Figure]:
    table = indicators.compute(year, programme).programmes[0]
    return {f.indicator.code: f for f in table.figures}


def test_respiratory_indicators_match_the_hand_count(indicator_cohort):
    f = _figures(RESP)
    # Intervention completed in 2025: A (31 Mar), B (28 Apr), D (25 Aug). Target N: 220.
    assert (f["programmes_done"].value, f["programmes_done"].met) == (3, False)
    # Interventions ended in 2025: A, B, D completed, C stopped: 3 / 4.
    v = f["intervention_validation"]
    assert (v.numerator, v.denominator, v.value, v.target, v.met) == (3, 4, 75.0, 85, False)
    # Started in 2025: A 21 days, B 28, C 42, D 14 -> 105 / 4 = 26.25; within 28: A, B, D.
    d = f["dossier_to_start"]
    assert (d.numerator, d.denominator, d.value, d.target, d.met) == (3, 4, 26.2, 28, True)
    # Programmes done with a CRQ at W0 and W12: A improved, B not (D has none): 1 / 2.
    q = f["quality_of_life"]
    assert (q.numerator, q.denominator, q.value, q.target, q.met) == (1, 2, 50.0, 80, False)
    # Endurance: A improved (+120 s), B not (+30 s): 1 / 2 against 75 %.
    n = f["endurance"]
    assert (n.numerator, n.denominator, n.value, n.target, n.met) == (1, 2, 50.0, 75, False)
    # In follow-up at some time in 2025: A, B, D, and F until 3 Mar.
    assert f["follow_up_patients"].value == 4
    # Follow-up calls done in 2025: by phone A and D, by video B (one contact each).
    assert (f["follow_up_phone"].value, f["follow_up_phone"].extra) == (2, {"contacts": 2})
    assert (f["follow_up_video"].value, f["follow_up_video"].extra) == (1, {"contacts": 1})
    # Follow-up ended in 2025: A and F completed, D reoriented: 2 / 3 against 65 %.
    u = f["follow_up_validation"]
    assert (u.numerator, u.denominator, u.value, u.met) == (2, 3, 66.7, True)
    # Reoriented after entering follow-up: D, of the 4 followed: 25 %, not below 20 %.
    r = f["reorientation"]
    assert (r.numerator, r.denominator, r.value, r.target, r.met) == (1, 4, 25.0, 20, False)
    # Completed in 2025 with both figures: A only (F recorded none): 1 - 3 / 10 = 70 %.
    h = f["hospital_days"]
    assert (h.denominator, h.value, h.extra, h.met) == (
        1, 70.0, {"days_before": 10, "days_after": 3}, True)
    # Interventions ended in 2025: A, B, C, D; with an event during it: C (exacerbation),
    # D (fall); A's hospitalisation came in follow-up. 2 / 4, each kind 1 / 4.
    i = f["incidents"]
    assert (i.numerator, i.denominator, i.value, i.target) == (2, 4, 50.0, None)
    assert {(p.key, p.numerator, p.denominator, p.value) for p in i.parts} == {
        ("exacerbation", 1, 4, 25.0), ("fall", 1, 4, 25.0)}


def test_activity_kept_per_quarter_matches_the_hand_count(indicator_cohort):
    # Follow-up weeks of 2025 (week start in the quarter, before the programme ended):
    #   Q1: A 1 week (31 Mar; 3 sessions: kept), F 8 weeks (6 Jan - 24 Feb; none).
    #   Q2: A 13 weeks (none), B 10 weeks (30 sessions = 3 x 10: kept).
    #   Q3: A 13, B 13 (none), D 6 weeks (12 sessions < 18).
    #   Q4: A 12 weeks (until 22 Dec; completed 29 Dec), B 13 weeks; D was reoriented.
    # Over the year: A 3 sessions in 39 weeks, B 30 in 36, D 12 in 6, F 0 in 8: none kept.
    k = _figures(RESP)["activity_kept"]
    assert [(p.key, p.numerator, p.denominator) for p in k.parts] == [
        ("1", 1, 2), ("2", 1, 2), ("3", 0, 3), ("4", 0, 2)]
    assert (k.numerator, k.denominator, k.value, k.target) == (0, 4, 0.0, None)


def test_low_back_pain_reads_its_own_instrument_and_has_no_endurance(indicator_cohort):
    f = _figures(LBP)
    assert f["programmes_done"].value == 1 and f["programmes_done"].target is None
    # Oswestry 40 -> 25: 15 points down, MCID 10, lower is better.
    q = f["quality_of_life"]
    assert (q.numerator, q.denominator, q.value, q.target) == (1, 1, 100.0, None)
    assert "Oswestry" in q.indicator.title_en
    n = f["endurance"]
    assert (n.indicator.applies, n.value, n.denominator, n.met) == (False, None, None, None)
    assert f["dossier_to_start"].value == 14.0
    # E's follow-up weeks of 2025 start on 30 Jun (Q2, 1 week), then Q3 and Q4 in full.
    assert [(p.key, p.denominator) for p in f["activity_kept"].parts] == [
        ("1", 0), ("2", 1), ("3", 1), ("4", 1)]


def test_the_year_filter_moves_every_figure(indicator_cohort):
    f = _figures(RESP, 2024)
    # 2024: F's intervention ended (27 May) and it was followed; nothing else had started.
    assert f["programmes_done"].value == 1
    assert f["follow_up_patients"].value == 1
    assert f["dossier_to_start"].value == 14.0  # F: 19 Feb -> 4 Mar 2024
    # 2024 is before the programme's first year (2025): no target.
    assert all(fig.target is None and fig.met is None for fig in f.values())
    table = indicators.compute(2026, RESP).programmes[0]
    assert table.year_index == 1
    assert {fig.indicator.code: fig.target for fig in table.figures}["quality_of_life"] == 85


def test_all_programmes_at_once_equal_each_programme_alone(indicator_cohort):
    both = indicators.compute(2025)
    assert [t.programme for t in both.programmes] == [RESP, LBP]
    for table in both.programmes:
        alone = indicators.compute(2025, table.programme).programmes[0]
        assert table.figures == alone.figures


def test_a_bounded_number_of_queries_whatever_the_cohort(indicator_cohort, app):
    from sqlalchemy import event

    statements: list[str] = []

    def count(*args) -> None:
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        indicators.compute(2025)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 8


def test_the_patients_behind_a_figure_are_its_population(indicator_cohort, factories):
    coordinator = factories.staff(Role.COORDINATOR)
    result = indicators.patients_behind(coordinator, "quality_of_life", 2025, RESP, "numerator")
    assert [p.name for p in result.patients] == ["A Jeanne"]
    result = indicators.patients_behind(coordinator, "follow_up_patients", 2025, RESP)
    assert [p.name for p in result.patients] == ["A Jeanne", "B Jeanne", "D Jeanne", "F Jeanne"]
    result = indicators.patients_behind(coordinator, "activity_kept", 2025, RESP, "numerator",
                                        "2")
    assert [p.name for p in result.patients] == ["B Jeanne"]
    # Each read names its patients in the audit trail.
    audited = db.session.scalars(select(AuditEntry.patient_id).where(
        AuditEntry.object_type == "indicators 2025 respiratory_home")).all()
    objects = set(db.session.scalars(select(AuditEntry.object_id)))
    assert objects == {"quality_of_life:n:", "follow_up_patients:d:", "activity_kept:n:2"}
    assert sorted(audited) == sorted([indicator_cohort["A"].patient_id] + [
        indicator_cohort[n].patient_id for n in "ABDF"] + [indicator_cohort["B"].patient_id])


def test_the_patients_behind_a_figure_come_a_page_at_a_time_and_only_the_page_is_audited(
        indicator_cohort, factories, monkeypatch):
    assert indicators.PER_PAGE == 50
    # Four patients behind the figure (A, B, D, F), two a page.
    monkeypatch.setattr(indicators, "PER_PAGE", 2)
    coordinator = factories.staff(Role.COORDINATOR)
    first = indicators.patients_behind(coordinator, "follow_up_patients", 2025, RESP)
    assert [p.name for p in first.patients] == ["A Jeanne", "B Jeanne"]
    assert (first.total, first.page, first.pages) == (4, 1, 2)
    second = indicators.patients_behind(coordinator, "follow_up_patients", 2025, RESP, page=2)
    assert [p.name for p in second.patients] == ["D Jeanne", "F Jeanne"]
    assert (second.total, second.page, second.pages) == (4, 2, 2)
    # Past the last page: the last page; before the first: the first.
    assert indicators.patients_behind(coordinator, "follow_up_patients", 2025, RESP,
                                      page=99).page == 2
    assert indicators.patients_behind(coordinator, "follow_up_patients", 2025, RESP,
                                      page=0).page == 1
    # Each read names in the audit trail the patients it showed, not the whole figure.
    audited = db.session.scalars(select(AuditEntry.patient_id).where(
        AuditEntry.object_type == "indicators 2025 respiratory_home")
        .order_by(AuditEntry.id)).all()
    a, b, d, f = (indicator_cohort[n].patient_id for n in "ABDF")
    assert audited == [a, b, d, f, d, f, a, b]
    # An empty figure is one empty page.
    empty = indicators.patients_behind(coordinator, "reorientation", 2025, LBP, "numerator",
                                       page=3)
    assert (empty.patients, empty.total, empty.page, empty.pages) == ([], 0, 1, 1)


def test_only_the_coordinator_reads_the_indicators(indicator_cohort, factories):
    for role in (Role.REFERENT, Role.PHYSICIAN, Role.ADMIN):
        with pytest.raises(Forbidden):
            indicators.indicator_table(factories.staff(role), 2025)
        with pytest.raises(Forbidden):
            indicators.patients_behind(factories.staff(role), "programmes_done", 2025)


def test_the_export_rows_name_no_patient(indicator_cohort):
    rows = indicators.export_rows(indicators.compute(2025))
    assert set(rows[0]) == set(indicators.EXPORT_COLUMNS)
    text = indicators.export_csv(rows)
    for name in ("Jeanne", "Martin"):
        assert name not in text
    # One row per figure of each programme, then its parts (4 quarters, 2 kinds, 4 quarters).
    assert len(rows) == 2 * len(INDICATORS[RESP]) + 4 + 2 + 4


def _quality_of_life(result: indicators.Indicators) -> tuple[int | None, int | None]:
    figure = {f.indicator.code: f for f in result.programmes[0].figures}["quality_of_life"]
    return figure.numerator, figure.denominator


def test_the_table_is_the_snapshot_until_computed_again(indicator_cohort, factories, clock):
    coordinator = factories.staff(Role.COORDINATOR)
    first = indicators.indicator_table(coordinator, 2025, RESP)
    assert first.programmes == indicators.compute(2025, RESP).programmes
    assert first.computed_at == clock.now()
    # B's W12 CRQ corrected to 4.6 (+0.6): now improved too.
    db.session.execute(update(QuestionnaireResponse).where(
        QuestionnaireResponse.enrolment_id == indicator_cohort["B"].id,
        QuestionnaireResponse.timepoint == "W12").values(score=4.6))
    db.session.commit()
    clock.set(clock.now() + timedelta(hours=1))

    again = indicators.indicator_table(coordinator, 2025, RESP)
    assert (_quality_of_life(again), again.computed_at) == ((1, 2), first.computed_at)

    recomputed = indicators.recompute(coordinator, 2025)
    assert (_quality_of_life(indicators.indicator_table(coordinator, 2025, RESP)),
            recomputed.computed_at) == ((2, 2), clock.now())


def test_reading_the_snapshot_runs_none_of_the_eight_queries(indicator_cohort, factories, app):
    from sqlalchemy import event

    coordinator = factories.staff(Role.COORDINATOR)
    indicators.indicator_table(coordinator, 2025)
    statements: list[str] = []

    def count(*args) -> None:
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        indicators.indicator_table(coordinator, 2025)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert [s for s in statements if "indicator_snapshots" not in s] == []


def test_the_nightly_job_computes_this_year_and_the_last_again(indicator_cohort, factories,
                                                               clock):
    coordinator = factories.staff(Role.COORDINATOR)
    stale = indicators.indicator_table(coordinator, 2025, RESP).computed_at
    db.session.execute(update(QuestionnaireResponse).where(
        QuestionnaireResponse.enrolment_id == indicator_cohort["B"].id,
        QuestionnaireResponse.timepoint == "W12").values(score=4.6))
    db.session.commit()
    clock.set(clock.now() + timedelta(days=1))

    assert indicators.refresh_snapshots(date(2026, 3, 3)) == {"years": [2025, 2026]}

    fresh = indicators.indicator_table(coordinator, 2025, RESP)
    assert (_quality_of_life(fresh), fresh.computed_at > stale) == ((2, 2), True)
    assert {row.year for row in db.session.scalars(select(IndicatorSnapshot))} == {2025, 2026}


def test_weeks_suspended_by_the_physician_are_not_weeks_to_keep_active(factories, clock):
    """H: like B (start 3 Feb 2025, follow-up 28 Apr), suspended 26 May and resumed 23 Jun:
    the weeks of 26 May to 23 Jun (17 to 21) are paused, as on the file's timeline. Of its
    ten Q2 follow-up weeks (28 Apr - 30 Jun) it was to train in five, and did, 3 sessions
    each: activity kept in Q2 (counting the paused weeks, 15 of 30 would not be)."""
    referent = factories.user(Role.REFERENT)
    clock.set(datetime(2026, 3, 2, 12, tzinfo=UTC))
    h = factories.journey(referent, date(2025, 2, 3), date(2025, 1, 6), (
        (FOLLOW, date(2025, 4, 28)), (Action.SUSPEND, date(2025, 5, 26)),
        (Action.RESUME, date(2025, 6, 23))), last_name="H")
    factories.sessions(h.patient, [date(2025, 4, 28) + timedelta(weeks=w, days=d)
                                   for w in (0, 1, 2, 3, 9) for d in range(3)])
    coordinator = factories.staff(Role.COORDINATOR)

    kept = indicators.patients_behind(coordinator, "activity_kept", 2025, RESP, "numerator",
                                      "2")
    assert [p.name for p in kept.patients] == ["H Jeanne"]
    # Q3 (resumed, no session): counted, and not kept.
    q3 = indicators.patients_behind(coordinator, "activity_kept", 2025, RESP, "denominator",
                                    "3")
    assert [p.name for p in q3.patients] == ["H Jeanne"]
    assert indicators.patients_behind(coordinator, "activity_kept", 2025, RESP, "numerator",
                                      "3").patients == []
