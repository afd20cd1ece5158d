"""the sweep's reinforcement visits read from a partial index

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 19:25:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

WHERE = "kind = 'reinforcement_visit' AND status = 'done'"


def upgrade():
    # The daily sweep asks which enrolments had their reinforcement visit: through the
    # (kind, status) index that fetched each of those contacts' pages from the heap, at
    # random (0.34 s of its 0.9 s read over 100,000 patients); this index answers alone.
    op.create_index('ix_scheduled_contacts_reinforced', 'scheduled_contacts', ['enrolment_id'],
                    postgresql_where=sa.text(WHERE), sqlite_where=sa.text(WHERE))


def downgrade():
    op.drop_index('ix_scheduled_contacts_reinforced', table_name='scheduled_contacts')
