"""hospital days reported at contacts (the indicator's before and after)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 18:10:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('scheduled_contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hospital_days', sa.SmallInteger(), nullable=True))
    # The indicators read every recorded stay of the file: a partial index holds only those.
    op.create_index('ix_scheduled_contacts_hospital_days', 'scheduled_contacts',
                    ['enrolment_id', 'kind', 'hospital_days'],
                    postgresql_where=sa.text('hospital_days IS NOT NULL'),
                    sqlite_where=sa.text('hospital_days IS NOT NULL'))


def downgrade():
    op.drop_index('ix_scheduled_contacts_hospital_days', table_name='scheduled_contacts')
    with op.batch_alter_table('scheduled_contacts', schema=None) as batch_op:
        batch_op.drop_column('hospital_days')
