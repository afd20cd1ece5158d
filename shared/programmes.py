"""Programme templates as data.

Respiratory template: seed 003 (cahier des charges "réhabilitation
respiratoire coordonnée au domicile"), line numbers in
``seeds/003_71f8480e54a53101.txt``:
- 12-week intervention, weekly calls weeks 1-12, home visits W0/W6/W12
  (l.3922-4105); pneumologist W0/W6/W12; 4 to 6 sessions a week, 55 to 60
  over the programme;
- 40-week remote follow-up: calls at +1, +2, +3, +6 and +9 months, 12-month
  synthesis (l.4150-4265);
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
- pain EVA 0-10 as the symptom score followed session after session.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from shared.enums import Modality, Questionnaire, SymptomScore


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
    synthesis: bool
    sessions_per_week_min: int
    sessions_per_week_max: int
    total_sessions_min: int
    total_sessions_max: int
    default_session_minutes: int
    default_modality: Modality
    symptom_score: SymptomScore
    questionnaires: tuple[Questionnaire, ...]
    booklet: tuple[BookletExercise, ...] = field(default=())

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
    synthesis=True,
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
    synthesis=True,
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
)

TEMPLATES: dict[str, ProgrammeTemplate] = {t.code: t for t in (RESPIRATORY, LOW_BACK_PAIN)}


def get_template(code: str, intervention_weeks: int | None = None) -> ProgrammeTemplate:
    """The template for ``code``, with the enrolment's own intervention length if given."""
    try:
        template = TEMPLATES[code]
    except KeyError:
        raise ValueError(f"unknown programme {code!r}") from None
    return template.with_intervention_weeks(intervention_weeks)
