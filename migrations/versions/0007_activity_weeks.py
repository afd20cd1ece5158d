"""activity weeks kept at ingest; booklet volume per enrolment; contact indexes for the sweep

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 05:00:00

"""
from alembic import op
import sqlalchemy as sa

from server.services.activity_weeks import rebuild_statements
from server.services.enrolments import booklet_volume_update

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
    # The weeks and booklet volumes of what is already stored.
    bind = op.get_bind()
    for statement in (*rebuild_statements(), booklet_volume_update()):
        bind.execute(statement)


def downgrade():
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_column('booklet_per_week')
    op.drop_index('ix_scheduled_contacts_status_closes', table_name='scheduled_contacts')
    op.drop_index('ix_scheduled_contacts_kind_status', table_name='scheduled_contacts')
    op.drop_index('ix_activity_weeks_week_start', table_name='activity_weeks')
    op.drop_table('activity_weeks')
