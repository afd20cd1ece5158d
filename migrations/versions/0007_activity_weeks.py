"""activity weeks kept at ingest; booklet volume per enrolment; contact indexes for the sweep

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 05:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'activity_weeks',
        sa.Column('enrolment_id', sa.Integer(), nullable=False),
        sa.Column('week', sa.Integer(), nullable=False),
        sa.Column('week_start', sa.Date(), nullable=False),
        sa.Column('sessions', sa.Integer(), nullable=False),
        sa.Column('high_dyspnoea', sa.Integer(), nullable=False),
        sa.Column('pain_sum', sa.Integer(), nullable=False),
        sa.Column('pain_count', sa.Integer(), nullable=False),
        sa.Column('booklet_credit', sa.Double(), nullable=False),
        sa.Column('hr_max_peak', sa.SmallInteger(), nullable=True),
        sa.Column('hr_rest_low', sa.SmallInteger(), nullable=True),
        sa.Column('hr_rest_high', sa.SmallInteger(), nullable=True),
        sa.ForeignKeyConstraint(['enrolment_id'], ['enrolments.id'],
                                name=op.f('fk_activity_weeks_enrolment_id_enrolments')),
        sa.PrimaryKeyConstraint('enrolment_id', 'week', name=op.f('pk_activity_weeks')),
    )
    op.create_index('ix_activity_weeks_week_start', 'activity_weeks', ['week_start'],
                    postgresql_include=['enrolment_id', 'sessions', 'high_dyspnoea', 'pain_sum',
                                        'pain_count', 'booklet_credit', 'hr_max_peak',
                                        'hr_rest_low', 'hr_rest_high'])
    op.create_index('ix_scheduled_contacts_kind_status', 'scheduled_contacts',
                    ['kind', 'status'])
    op.create_index('ix_scheduled_contacts_status_closes', 'scheduled_contacts',
                    ['status', 'window_closes'])
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('booklet_per_week', sa.Integer(), server_default='0',
                                      nullable=False))
    # The weeks and booklet volumes of what is already stored, in SQL frozen as it was
    # written for this revision: later changes to the services must not change what
    # replaying it computes.
    bind = op.get_bind()
    for statement in _backfill(bind.dialect.name):
        bind.execute(sa.text(statement))


def _backfill(dialect):
    """The statements filling the new table and column, for ``dialect``."""
    if dialect == 'sqlite':  # no date type: days through julianday(), stored as text
        def week(day):
            return (f"(CAST(julianday({day}) - julianday(enrolments.start_date) AS INTEGER)"
                    " / 7 + 1)")

        def week_start(day):
            return f"date(enrolments.start_date, '+' || (({week(day)} - 1) * 7) || ' days')"
        true = '1'
    else:
        def week(day):
            return f"(({day} - enrolments.start_date) / 7 + 1)"

        def week_start(day):
            return f"(enrolments.start_date + ({week(day)} - 1) * 7)"
        true = 'true'
    # Sessions at or over 7/10 of dyspnoea counted high in the respiratory template only
    # (shared/rules.py as of this revision); booklet entries credited 1 done, 0.5 partly.
    return (
        "DELETE FROM activity_weeks",
        "INSERT INTO activity_weeks (enrolment_id, week, week_start, sessions, high_dyspnoea,"
        " pain_sum, pain_count, booklet_credit, hr_max_peak, hr_rest_low, hr_rest_high)"
        " SELECT enrolment_id, week, week_start, sum(session), sum(high),"
        " coalesce(sum(pain), 0), count(pain), sum(credit), max(hr_max), min(hr_rest),"
        " max(hr_rest)"
        " FROM ("
        f"SELECT ergo_sessions.enrolment_id AS enrolment_id, {week('ergo_sessions.day')} AS week,"
        f" {week_start('ergo_sessions.day')} AS week_start, 1 AS session,"
        " CASE WHEN (enrolments.programme_code = 'respiratory_home'"
        " AND ergo_sessions.dyspnoea >= 7) THEN 1 ELSE 0 END AS high,"
        " ergo_sessions.pain_eva AS pain, ergo_sessions.hr_max AS hr_max,"
        " ergo_sessions.hr_rest AS hr_rest, 0.0 AS credit"
        " FROM ergo_sessions JOIN enrolments ON enrolments.id = ergo_sessions.enrolment_id"
        " WHERE ergo_sessions.day >= enrolments.start_date"
        " UNION ALL "
        f"SELECT booklet_entries.enrolment_id, {week('booklet_entries.day')},"
        f" {week_start('booklet_entries.day')}, 0, 0, NULL, NULL, NULL,"
        " CASE WHEN booklet_entries.status = 'done' THEN 1.0"
        " WHEN booklet_entries.status = 'partial' THEN 0.5 ELSE 0.0 END"
        " FROM booklet_entries JOIN enrolments ON enrolments.id = booklet_entries.enrolment_id"
        " WHERE booklet_entries.day >= enrolments.start_date"
        ") AS raw GROUP BY enrolment_id, week, week_start",
        # The pain baseline: the mean pain EVA of programme week 1.
        "UPDATE enrolments SET pain_baseline = ("
        "SELECT week_one.pain_sum * 1.0 / week_one.pain_count FROM activity_weeks AS week_one"
        " WHERE week_one.enrolment_id = enrolments.id AND week_one.week = 1"
        " AND week_one.pain_count > 0) WHERE enrolments.start_date IS NOT NULL",
        "UPDATE enrolments SET booklet_per_week = ("
        "SELECT coalesce(sum(booklet_items.per_week), 0) FROM booklet_items"
        f" WHERE booklet_items.enrolment_id = enrolments.id AND booklet_items.active = {true})",
    )


def downgrade():
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_column('booklet_per_week')
    op.drop_index('ix_scheduled_contacts_status_closes', table_name='scheduled_contacts')
    op.drop_index('ix_scheduled_contacts_kind_status', table_name='scheduled_contacts')
    op.drop_index('ix_activity_weeks_week_start', table_name='activity_weeks')
    op.drop_table('activity_weeks')
