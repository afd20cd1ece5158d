"""Programme templates as data.

Respiratory template: seed 003 (cahier des charges "réhabilitation
respiratoire coordonnée au domicile"), line numbers in
``seeds/003_71f8480e54a53101.txt``:
- 12-week intervention, weekly calls weeks 1-12, home visits W0/W6/W12
  (l.3922-4105); pneumologist W0/W6/W12; 4 to 6 sessions a week, 55 to 60
  over the programme;
- 40-week remote follow-up: calls at +1, +2, +3, +6 and +9 months, 12-month
  synthesis (l.4150-4265); synthesis documents after inclusion, at W6, W12 and 12
  months (l.3952-3960, l.4012-4020, l.4084-4101, l.4255-4264);
- a shortened home part of 10 weeks after an SSR evaluation stay
  (l.4358-4360), hence ``intervention_weeks`` may be overridden per enrolment.

Low back pain template: seeds 000 and 002 (``seeds/000_92fc07f85fbc4c2c.txt``
unless said). None of them gives a home schedule, so the values are chosen:
- booklet-centred self-rehabilitation after the stay, "un cahier
  d'exercices personnalisé ou une application" (000 l.1166-1168);
- 2 sessions a week as in back school (002 l.98), 3 at most; 24 to 36
  sessions over 12 weeks (back school: 36 sessions, 002 l.47);
- weekly calls for the first 4 weeks (the stay's "RFR (4 semaines)",
  000 l.1324, keeps its weekly review, l.1289), then every other week;
- a medical follow-up consultation three to six months after the end
  (000 l.1171) and a phone interview with a rehabilitation professional
  before the six-month consultation (000 l.1409): calls at +1, +2, +3 and
  +5 months, consultations at +3 and +6 months;
- pain EVA 0-10 as the symptom score followed session after session;
- booklet-centred (000 l.1166-1168): adherence counts the booklet's
  exercise days with the ergocycle sessions, and the follow-up minimum is
  its own 2 sessions a week (back school rhythm, 002 l.98), not the
  respiratory indicator's 3 (003 l.5130-5140);
- its dossier holds no spirometry or blood gas (respiratory tests, 003
  l.3831-3839, l.3877): the prescription, the orientation scales the HAS
  recommends (Dallas, STarT Back, Oswestry: 000 l.1362-1370), the report
  of the functional restoration stay the home part follows (000 l.1166,
  l.1324) and the GP's screening for warning signs (001 l.443-457);
- return to work is the first objective of the care project (000
  l.1140-1142): recorded at inclusion and at follow-up contacts.

Respiratory follow-up (003): a rupture goes to the committee at the +3 and
+6 month calls only (l.4188-4228), elsewhere it is the referent's; the
reinforcement visit falls in follow-up month 4 or 7 (l.4231-4239); the
pneumologist's first consultation prescribes the programme, before it
starts (l.4552-4561). The low back pain template borrows this machinery
(PROGRAMME.md), with its committee calls at +3 and +5 months: its last
call before the six-month consultation (000 l.1409) stands where the
respiratory +6 call does.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from shared.enums import Modality, Questionnaire, SymptomScore, SynthesisKind


@dataclass(frozen=True)
class BookletExercise:
    """One exercise of the default booklet of a programme."""

    code: str
    title_fr: str
    title_en: str
    description_fr: str
    repetitions: int
    sets: int
    per_week: int


@dataclass(frozen=True)
class ProgrammeTemplate:
    """Everything the timeline and the targets need to know about a programme."""

    code: str
    title_fr: str
    title_en: str
    intervention_weeks: int
    follow_up_weeks: int
    # Weekly calls every week up to this week, then every `call_interval_after` weeks.
    weekly_calls_until_week: int
    call_interval_after: int
    home_visits: bool
    specialist_consultations: bool
    follow_up_call_months: tuple[int, ...]
    follow_up_consultation_months: tuple[int, ...]
    # The synthesis documents written for every patient, each a contact of the timeline
    # (``shared.synthesis``): after inclusion, W6, W12 and at 12 months (seed 003
    # l.3952-3960, l.4012-4020, l.4084-4101, l.4255-4264).
    syntheses: tuple[SynthesisKind, ...]
    sessions_per_week_min: int
    sessions_per_week_max: int
    total_sessions_min: int
    total_sessions_max: int
    default_session_minutes: int
    default_modality: Modality
    symptom_score: SymptomScore
    questionnaires: tuple[Questionnaire, ...]
    booklet: tuple[BookletExercise, ...] = field(default=())
    # Pieces the dossier must hold before the physician validates (enrolment, step 1-2).
    dossier_pieces: tuple[str, ...] = ("prescription", "spirometry", "blood_gas",
                                       "exercise_test")
    # "Significant activity" in follow-up: sessions a week at or above which activity is kept.
    follow_up_min_sessions: int = 3
    # Booklet-centred programmes count a day of booklet exercises as a session.
    counts_booklet_days: bool = False
    # Follow-up calls whose rupture goes to the committee; at the others it is the referent's.
    committee_call_months: tuple[int, ...] = (3, 6)
    # Follow-up months in which a reinforcement home visit may take place.
    reinforcement_months: tuple[int, ...] = (4, 7)
    # The prescriber's consultation comes before the start; its window opens this many days
    # earlier (it is the consultation that prescribes the programme).
    prescribing_consultation_days_before: int = 42
    # Return to work is an objective recorded at inclusion and at follow-up contacts.
    tracks_return_to_work: bool = False
    # A constant-load ergocycle endurance test at W0 and W12 (seed 003 l.3945-3946,
    # l.4071-4072); the low back pain documents name none.
    endurance_test: bool = True

    @property
    def total_weeks(self) -> int:
        """Length of the whole programme in weeks."""
        return self.intervention_weeks + self.follow_up_weeks

    @property
    def mid_week(self) -> int:
        """Week of the mid-term visit and consultation (W6 of 12)."""
        return (self.intervention_weeks + 1) // 2

    def weekly_call_weeks(self) -> tuple[int, ...]:
        """Programme weeks that carry a referent call during the intervention."""
        weeks = []
        for week in range(1, self.intervention_weeks + 1):
            after = week - self.weekly_calls_until_week
            if after <= 0 or after % self.call_interval_after == 0:
                weeks.append(week)
        return tuple(weeks)

    def with_intervention_weeks(self, weeks: int | None) -> ProgrammeTemplate:
        """The same template with a shorter or longer home part (SSR stay first)."""
        if weeks is None or weeks == self.intervention_weeks:
            return self
        if not 4 <= weeks <= 16:
            raise ValueError(f"intervention_weeks must be between 4 and 16, got {weeks}")
        return replace(self, intervention_weeks=weeks)


RESPIRATORY_BOOKLET = (
    BookletExercise(
        "sit_to_stand", "Lever de chaise", "Sit to stand",
        "Se lever d'une chaise sans les mains puis se rasseoir lentement.", 10, 3, 5,
    ),
    BookletExercise(
        "arm_raises", "Élévation des bras", "Arm raises",
        "Bras tendus, lever deux bouteilles d'eau au-dessus de la tête en expirant.", 10, 2, 5,
    ),
    BookletExercise(
        "pursed_lip", "Respiration lèvres pincées", "Pursed-lip breathing",
        "Inspirer par le nez, expirer lentement lèvres pincées, deux fois plus long.", 10, 1, 7,
    ),
    BookletExercise(
        "calf_raises", "Montées sur pointes", "Calf raises",
        "Debout en appui sur une table, monter sur la pointe des pieds.", 15, 2, 4,
    ),
)

LOW_BACK_BOOKLET = (
    BookletExercise(
        "pelvic_tilt", "Bascule du bassin", "Pelvic tilt",
        "Allongé genoux fléchis, plaquer le bas du dos au sol puis relâcher.", 10, 3, 5,
    ),
    BookletExercise(
        "bridge", "Pont fessier", "Glute bridge",
        "Allongé genoux fléchis, décoller les fesses et tenir 5 secondes.", 10, 3, 4,
    ),
    BookletExercise(
        "bird_dog", "Quadrupédie bras-jambe", "Bird dog",
        "À quatre pattes, tendre un bras et la jambe opposée, tenir 5 secondes.", 8, 3, 4,
    ),
    BookletExercise(
        "hamstring_stretch", "Étirement des ischio-jambiers", "Hamstring stretch",
        "Allongé, une jambe tendue vers le plafond tenue par une sangle, 30 secondes.", 3, 2, 7,
    ),
    BookletExercise(
        "plank", "Gainage ventral", "Front plank",
        "En appui sur les avant-bras et les genoux, dos droit, tenir 20 secondes.", 3, 3, 4,
    ),
)

RESPIRATORY = ProgrammeTemplate(
    code="respiratory_home",
    title_fr="Réhabilitation respiratoire à domicile",
    title_en="Home respiratory rehabilitation",
    intervention_weeks=12,
    follow_up_weeks=40,
    weekly_calls_until_week=12,
    call_interval_after=1,
    home_visits=True,
    specialist_consultations=True,
    follow_up_call_months=(1, 2, 3, 6, 9),
    follow_up_consultation_months=(),
    syntheses=tuple(SynthesisKind),
    sessions_per_week_min=4,
    sessions_per_week_max=6,
    total_sessions_min=55,
    total_sessions_max=60,
    default_session_minutes=30,
    default_modality=Modality.CONTINUOUS,
    symptom_score=SymptomScore.DYSPNOEA,
    questionnaires=(Questionnaire.CRQ, Questionnaire.SATISFACTION, Questionnaire.WEEKLY_SYMPTOMS),
    booklet=RESPIRATORY_BOOKLET,
)

LOW_BACK_PAIN = ProgrammeTemplate(
    code="low_back_pain_home",
    title_fr="Lombalgie chronique : auto-rééducation à domicile",
    title_en="Home chronic low back pain",
    intervention_weeks=12,
    follow_up_weeks=40,
    weekly_calls_until_week=4,
    call_interval_after=2,
    home_visits=True,
    specialist_consultations=False,
    follow_up_call_months=(1, 2, 3, 5),
    follow_up_consultation_months=(3, 6),
    syntheses=tuple(SynthesisKind),
    sessions_per_week_min=2,
    sessions_per_week_max=3,
    total_sessions_min=24,
    total_sessions_max=36,
    default_session_minutes=20,
    default_modality=Modality.CONTINUOUS,
    symptom_score=SymptomScore.PAIN,
    questionnaires=(
        Questionnaire.DALLAS, Questionnaire.OSWESTRY, Questionnaire.STARTBACK,
        Questionnaire.SATISFACTION, Questionnaire.WEEKLY_SYMPTOMS,
    ),
    booklet=LOW_BACK_BOOKLET,
    dossier_pieces=("prescription", "orientation_scales", "stay_report",
                    "warning_signs_screening"),
    follow_up_min_sessions=2,
    counts_booklet_days=True,
    committee_call_months=(3, 5),
    tracks_return_to_work=True,
    endurance_test=False,
)

TEMPLATES: dict[str, ProgrammeTemplate] = {t.code: t for t in (RESPIRATORY, LOW_BACK_PAIN)}


def get_template(code: str, intervention_weeks: int | None = None) -> ProgrammeTemplate:
    """The template for ``code``, with the enrolment's own intervention length if given."""
    try:
        template = TEMPLATES[code]
    except KeyError:
        raise ValueError(f"unknown programme {code!r}") from None
    return template.with_intervention_weeks(intervention_weeks)
