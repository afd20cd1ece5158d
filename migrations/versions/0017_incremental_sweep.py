"""the daily sweep judges what changed: change marks, its runs, indexes on what changed

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 04:10:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

STAFF = "actor_id IS NOT NULL"
REINFORCED = "kind = 'reinforcement_visit' AND status = 'done'"
UNREPORTED = "flag_id IS NULL"


def upgrade():
    # Rows written before this revision carry no mark: the first sweep after it has no
    # run to start from and judges the whole file.
    for table in ('enrolments', 'patients'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('facts_changed_at', sa.DateTime(timezone=True),
                                       nullable=True))
            batch.create_index(f'ix_{table}_facts_changed_at', ['facts_changed_at'])
    op.create_table(
        'sweep_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('full', sa.Boolean(), nullable=False),
        sa.Column('rules', sa.String(length=64), nullable=False),
        sa.Column('examined', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_flag_events_staff_at', 'flag_events', ['at'],
                    postgresql_where=sa.text(STAFF), sqlite_where=sa.text(STAFF))
    # The reinforcement visits recorded since the last sweep, from the index alone.
    op.drop_index('ix_scheduled_contacts_reinforced', table_name='scheduled_contacts')
    op.create_index('ix_scheduled_contacts_reinforced', 'scheduled_contacts',
                    ['enrolment_id', 'done_at'], postgresql_where=sa.text(REINFORCED),
                    sqlite_where=sa.text(REINFORCED))
    op.create_index('ix_health_events_unreported', 'health_events', ['enrolment_id'],
                    postgresql_where=sa.text(UNREPORTED), sqlite_where=sa.text(UNREPORTED))
    # The (enrolment_id, key) unique index answers the same look-ups: one entry fewer to
    # write for each contact whose status changes.
    op.drop_index('ix_scheduled_contacts_enrolment_id', table_name='scheduled_contacts')


def downgrade():
    op.create_index('ix_scheduled_contacts_enrolment_id', 'scheduled_contacts', ['enrolment_id'])
    op.drop_index('ix_health_events_unreported', table_name='health_events')
    op.drop_index('ix_scheduled_contacts_reinforced', table_name='scheduled_contacts')
    op.create_index('ix_scheduled_contacts_reinforced', 'scheduled_contacts', ['enrolment_id'],
                    postgresql_where=sa.text(REINFORCED), sqlite_where=sa.text(REINFORCED))
    op.drop_index('ix_flag_events_staff_at', table_name='flag_events')
    op.drop_table('sweep_runs')
    for table in ('patients', 'enrolments'):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f'ix_{table}_facts_changed_at')
            batch.drop_column('facts_changed_at')
