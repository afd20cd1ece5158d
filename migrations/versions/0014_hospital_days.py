"""hospital days reported at contacts (the indicator's before and after)

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-03 18:10:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('scheduled_contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hospital_days', sa.SmallInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table('scheduled_contacts', schema=None) as batch_op:
        batch_op.drop_column('hospital_days')
