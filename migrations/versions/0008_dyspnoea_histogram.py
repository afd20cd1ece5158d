"""activity weeks keep the dyspnoea scores' histogram instead of a count judged at ingest

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 15:30:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

LEVELS = range(11)  # the 0-10 dyspnoea scale
KEPT = ['enrolment_id', 'sessions', 'pain_sum', 'pain_count', 'booklet_credit', 'hr_max_peak',
        'hr_rest_low', 'hr_rest_high']


def _week(dialect, day):
    """The programme week (1 on the start day) of ``day``, in ``dialect``'s SQL."""
    if dialect == 'sqlite':  # no date type: days through julianday()
        return f"(CAST(julianday({day}) - julianday(enrolments.start_date) AS INTEGER) / 7 + 1)"
    return f"(({day} - enrolments.start_date) / 7 + 1)"


def upgrade():
    with op.batch_alter_table('activity_weeks', schema=None) as batch_op:
        for level in LEVELS:
            batch_op.add_column(sa.Column(f'dyspnoea_{level}', sa.SmallInteger(),
                                          server_default='0', nullable=False))
    # Every stored week's histogram, from the sessions it counts (scored ones only).
    bind = op.get_bind()
    week = _week(bind.dialect.name, 'ergo_sessions.day')
    counts = ', '.join(f'sum(CASE WHEN ergo_sessions.dyspnoea = {level} THEN 1 ELSE 0 END)'
                       f' AS d{level}' for level in LEVELS)
    bind.execute(sa.text(
        'UPDATE activity_weeks SET '
        + ', '.join(f'dyspnoea_{level} = h.d{level}' for level in LEVELS)
        + f' FROM (SELECT ergo_sessions.enrolment_id AS enrolment_id, {week} AS week, {counts}'
        ' FROM ergo_sessions JOIN enrolments ON enrolments.id = ergo_sessions.enrolment_id'
        ' WHERE ergo_sessions.day >= enrolments.start_date'
        ' AND ergo_sessions.dyspnoea IS NOT NULL'
        f' GROUP BY ergo_sessions.enrolment_id, {week}) AS h'
        ' WHERE activity_weeks.enrolment_id = h.enrolment_id AND activity_weeks.week = h.week'))
    op.drop_index('ix_activity_weeks_week_start', table_name='activity_weeks')
    with op.batch_alter_table('activity_weeks', schema=None) as batch_op:
        batch_op.drop_column('high_dyspnoea')
    op.create_index('ix_activity_weeks_week_start', 'activity_weeks', ['week_start'],
                    postgresql_include=[*KEPT, *[f'dyspnoea_{level}' for level in LEVELS]])


def downgrade():
    with op.batch_alter_table('activity_weeks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('high_dyspnoea', sa.Integer(), server_default='0',
                                      nullable=False))
    # The count as 0007 judged it: 7/10 or more, in the respiratory template only.
    op.execute(
        'UPDATE activity_weeks SET high_dyspnoea = '
        + ' + '.join(f'dyspnoea_{level}' for level in range(7, 11))
        + " WHERE enrolment_id IN (SELECT id FROM enrolments"
        " WHERE programme_code = 'respiratory_home')")
    op.drop_index('ix_activity_weeks_week_start', table_name='activity_weeks')
    with op.batch_alter_table('activity_weeks', schema=None) as batch_op:
        for level in LEVELS:
            batch_op.drop_column(f'dyspnoea_{level}')
        batch_op.alter_column('high_dyspnoea', server_default=None)
    op.create_index('ix_activity_weeks_week_start', 'activity_weeks', ['week_start'],
                    postgresql_include=['enrolment_id', 'sessions', 'high_dyspnoea', 'pain_sum',
                                        'pain_count', 'booklet_credit', 'hr_max_peak',
                                        'hr_rest_low', 'hr_rest_high'])
