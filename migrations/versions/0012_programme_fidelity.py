"""programme fidelity: suspension, work status, active days

Revision ID: 0012
Revises: 0007
Create Date: 2026-12-03 15:20:00

The SQL that fills ``active_days`` is written out here, frozen: a migration
never imports the application's live code.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0007'
branch_labels = None
depends_on = None

INCLUDE = ['enrolment_id', 'sessions', 'high_dyspnoea', 'pain_sum', 'pain_count',
           'booklet_credit', 'hr_max_peak', 'hr_rest_low', 'hr_rest_high']

# Days with a session or a booklet exercise done or partly done, per enrolment and week.
FILL_ACTIVE_DAYS = """
UPDATE activity_weeks SET active_days = (
    SELECT COUNT(DISTINCT d.day) FROM (
        SELECT s.day AS day FROM ergo_sessions s
         WHERE s.enrolment_id = activity_weeks.enrolment_id
           AND s.day >= activity_weeks.week_start
           AND s.day < activity_weeks.week_start + 7
        UNION
        SELECT b.day FROM booklet_entries b
         WHERE b.enrolment_id = activity_weeks.enrolment_id
           AND b.status IN ('done', 'partial')
           AND b.day >= activity_weeks.week_start
           AND b.day < activity_weeks.week_start + 7
    ) d)
"""


def upgrade():
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suspended_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('suspension_review_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('suspension_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('work_status', sa.String(length=32), nullable=True))
    with op.batch_alter_table('activity_weeks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('active_days', sa.Integer(), server_default='0',
                                      nullable=False))
    bind = op.get_bind()
    fill = FILL_ACTIVE_DAYS
    if bind.dialect.name == 'sqlite':
        fill = fill.replace("activity_weeks.week_start + 7",
                            "date(activity_weeks.week_start, '+7 days')")
    op.execute(fill)
    op.drop_index('ix_activity_weeks_week_start', table_name='activity_weeks')
    op.create_index('ix_activity_weeks_week_start', 'activity_weeks', ['week_start'],
                    postgresql_include=INCLUDE + ['active_days'])


def downgrade():
    op.drop_index('ix_activity_weeks_week_start', table_name='activity_weeks')
    op.create_index('ix_activity_weeks_week_start', 'activity_weeks', ['week_start'],
                    postgresql_include=INCLUDE)
    with op.batch_alter_table('activity_weeks', schema=None) as batch_op:
        batch_op.drop_column('active_days')
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_column('work_status')
        batch_op.drop_column('suspension_reason')
        batch_op.drop_column('suspension_review_on')
        batch_op.drop_column('suspended_on')
