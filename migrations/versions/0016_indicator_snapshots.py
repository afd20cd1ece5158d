"""indicator snapshots: a year's figures as last computed, for the page and the exports

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 21:30:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    # Computing a year over the whole file takes seconds; the coordinator's page reads the
    # figures the nightly job (or an explicit recompute) left here.
    op.create_table(
        'indicator_snapshots',
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('tables', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('year'),
    )


def downgrade():
    op.drop_table('indicator_snapshots')
