"""programme fidelity: suspension, work status, active days, booklet pain

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 15:20:00

The SQL that fills the new week figures is written out here, frozen: a
migration never imports the application's live code.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

LEVELS = range(11)
KEPT = ['enrolment_id', 'sessions', 'pain_sum', 'pain_count', 'booklet_credit', 'hr_max_peak',
        'hr_rest_low', 'hr_rest_high']
HISTOGRAM = [f'dyspnoea_{level}' for level in LEVELS]


def _in_week(dialect, day):
    """``day`` falls in the activity week of the row being updated."""
    end = ("date(activity_weeks.week_start, '+7 days')" if dialect == 'sqlite'
           else 'activity_weeks.week_start + 7')
    return f'{day} >= activity_weeks.week_start AND {day} < {end}'


def upgrade():
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suspended_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('suspension_review_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('suspension_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('work_status', sa.String(length=32), nullable=True))
    with op.batch_alter_table('activity_weeks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('active_days', sa.Integer(), server_default='0',
                                      nullable=False))
    dialect = op.get_bind().dialect.name
    sessions = ('FROM ergo_sessions s WHERE s.enrolment_id = activity_weeks.enrolment_id AND '
                + _in_week(dialect, 's.day'))
    entries = ('FROM booklet_entries b WHERE b.enrolment_id = activity_weeks.enrolment_id AND '
               + _in_week(dialect, 'b.day'))
    # Days with a session or a booklet exercise done or partly done; pain noted with the
    # booklet counts with the sessions' (booklet-centred programmes report it there).
    op.execute(
        'UPDATE activity_weeks SET '
        f'active_days = (SELECT COUNT(DISTINCT d.day) FROM (SELECT s.day AS day {sessions} '
        f"UNION SELECT b.day {entries} AND b.status IN ('done', 'partial')) d), "
        f'pain_sum = (SELECT COALESCE(SUM(p.pain), 0) FROM (SELECT s.pain_eva AS pain '
        f'{sessions} UNION ALL SELECT b.pain_eva {entries}) p), '
        f'pain_count = (SELECT COUNT(p.pain) FROM (SELECT s.pain_eva AS pain {sessions} '
        f'UNION ALL SELECT b.pain_eva {entries}) p)')
    op.execute(
        'UPDATE enrolments SET pain_baseline = (SELECT w.pain_sum * 1.0 / w.pain_count '
        'FROM activity_weeks w WHERE w.enrolment_id = enrolments.id AND w.week = 1 '
        'AND w.pain_count > 0) WHERE enrolments.start_date IS NOT NULL')
    op.drop_index('ix_activity_weeks_week_start', table_name='activity_weeks')
    op.create_index('ix_activity_weeks_week_start', 'activity_weeks', ['week_start'],
                    postgresql_include=[*KEPT, 'active_days', *HISTOGRAM])


def downgrade():
    op.drop_index('ix_activity_weeks_week_start', table_name='activity_weeks')
    op.create_index('ix_activity_weeks_week_start', 'activity_weeks', ['week_start'],
                    postgresql_include=[*KEPT, *HISTOGRAM])
    with op.batch_alter_table('activity_weeks', schema=None) as batch_op:
        batch_op.drop_column('active_days')
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_column('work_status')
        batch_op.drop_column('suspension_reason')
        batch_op.drop_column('suspension_review_on')
        batch_op.drop_column('suspended_on')
