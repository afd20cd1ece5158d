"""care team, synthesis documents and their recipients; attachments in the outbox

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 18:00:00

Running enrolments get the synthesis contacts that the timeline now lays out at
the start (after inclusion, W6, W12; the 12-month one was there already). The
placement is written out here, frozen (a migration never imports the live
code): due a week after the visit, open from the visit (the final one from the
first day of follow-up) for two weeks. A contact whose window already closed is
cancelled, not missed: those syntheses were not asked of anyone when their
time came.
"""
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

PARIS = ZoneInfo('Europe/Paris')
RUNNING = ('active', 'follow_up', 'suspended')
DEFAULT_WEEKS = 12  # both templates' intervention length at this revision
WRITING_DAYS = 14


def _placements(start, weeks):
    """(key, week, phase, first day, due day, last day) of each new synthesis contact."""
    mid = (weeks + 1) // 2
    mid_visit = start + timedelta(days=7 * mid - 1)
    closing = start + timedelta(days=7 * weeks - 1)
    return [
        ('synthesis:w0', 0, 'intervention', start, start + timedelta(days=7),
         start + timedelta(days=WRITING_DAYS)),
        ('synthesis:w6', mid, 'intervention', mid_visit, mid_visit + timedelta(days=7),
         mid_visit + timedelta(days=WRITING_DAYS)),
        ('synthesis:w12', weeks, 'follow_up', closing + timedelta(days=1),
         closing + timedelta(days=7), closing + timedelta(days=WRITING_DAYS)),
    ]


def _at(day, hour=time(0, 0)):
    return datetime.combine(day, hour, tzinfo=PARIS).astimezone(UTC)


def upgrade():
    op.create_table(
        'care_team_members',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=True),
        sa.Column('secure_messaging', sa.Boolean(), nullable=False),
        sa.Column('phone', sa.String(length=30), nullable=True),
        sa.Column('postal_address', sa.Text(), nullable=True),
        sa.Column('receives_syntheses', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['patient_id'], ['patients.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_care_team_members_patient_id', 'care_team_members', ['patient_id'])
    op.create_table(
        'syntheses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('enrolment_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=32), nullable=False),
        sa.Column('sections', sa.JSON(), nullable=False),
        sa.Column('snapshot', sa.JSON(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('validated_by_id', sa.Integer(), nullable=True),
        sa.Column('validated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('cosigned_by_id', sa.Integer(), nullable=True),
        sa.Column('cosigned_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sent_by_id', sa.Integer(), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('document_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['patient_id'], ['patients.id']),
        sa.ForeignKeyConstraint(['enrolment_id'], ['enrolments.id']),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['validated_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['cosigned_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['sent_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('enrolment_id', 'kind', 'version', name='uq_syntheses_version'),
    )
    op.create_index('ix_syntheses_enrolment_id', 'syntheses', ['enrolment_id'])
    op.create_index('ix_syntheses_patient_state', 'syntheses', ['patient_id', 'state'])
    op.create_table(
        'synthesis_recipients',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('synthesis_id', sa.Integer(), nullable=False),
        sa.Column('care_team_member_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=20), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('role', sa.String(length=32), nullable=False),
        sa.Column('address', sa.Text(), nullable=True),
        sa.Column('notification_id', sa.Integer(), nullable=True),
        sa.Column('posted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('posted_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['synthesis_id'], ['syntheses.id']),
        sa.ForeignKeyConstraint(['care_team_member_id'], ['care_team_members.id']),
        sa.ForeignKeyConstraint(['notification_id'], ['notifications.id']),
        sa.ForeignKeyConstraint(['posted_by_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_synthesis_recipients_synthesis_id', 'synthesis_recipients',
                    ['synthesis_id'])
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_notifications_document_id', 'documents',
                                    ['document_id'], ['id'])
    _backfill_contacts()


def _backfill_contacts():
    conn = op.get_bind()
    contacts = sa.table(
        'scheduled_contacts', sa.column('enrolment_id'), sa.column('key'), sa.column('kind'),
        sa.column('phase'), sa.column('channel'), sa.column('week'), sa.column('month'),
        sa.column('due_at', sa.DateTime(timezone=True)),
        sa.column('window_opens', sa.DateTime(timezone=True)),
        sa.column('window_closes', sa.DateTime(timezone=True)), sa.column('status'),
        sa.column('attempts'))
    enrolments = conn.execute(sa.text(
        'SELECT e.id, e.start_date, e.intervention_weeks FROM enrolments e '
        'WHERE e.start_date IS NOT NULL AND e.state IN :states '
        "AND NOT EXISTS (SELECT 1 FROM scheduled_contacts c WHERE c.enrolment_id = e.id "
        "AND c.key = 'synthesis:w0')").bindparams(sa.bindparam('states', expanding=True)),
        {'states': list(RUNNING)}).all()
    now = datetime.now(UTC)
    rows = []
    for enrolment_id, start, weeks in enrolments:
        start = start if isinstance(start, date) else date.fromisoformat(str(start))
        for key, week, phase, first, due, last in _placements(start, weeks or DEFAULT_WEEKS):
            closes = _at(last + timedelta(days=1))
            rows.append({
                'enrolment_id': enrolment_id, 'key': key, 'kind': 'synthesis', 'phase': phase,
                'channel': 'office', 'week': week, 'month': None,
                'due_at': _at(due, time(10, 0)), 'window_opens': _at(first),
                'window_closes': closes,
                'status': 'cancelled' if closes <= now else 'planned', 'attempts': 0})
    if rows:
        if conn.dialect.name == 'sqlite':
            # The application stores naive UTC on SQLite (server.models.types.UTCDateTime).
            for row in rows:
                for column in ('due_at', 'window_opens', 'window_closes'):
                    row[column] = row[column].replace(tzinfo=None)
        op.bulk_insert(contacts, rows)


def downgrade():
    op.execute("DELETE FROM scheduled_contacts WHERE key IN "
               "('synthesis:w0', 'synthesis:w6', 'synthesis:w12')")
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint('fk_notifications_document_id', type_='foreignkey')
        batch_op.drop_column('document_id')
    op.drop_index('ix_synthesis_recipients_synthesis_id', table_name='synthesis_recipients')
    op.drop_table('synthesis_recipients')
    op.drop_index('ix_syntheses_patient_state', table_name='syntheses')
    op.drop_index('ix_syntheses_enrolment_id', table_name='syntheses')
    op.drop_table('syntheses')
    op.drop_index('ix_care_team_members_patient_id', table_name='care_team_members')
    op.drop_table('care_team_members')
