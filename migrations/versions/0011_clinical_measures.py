"""clinical measures: scored questionnaires, endurance tests, visit reports, activity project

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-03 15:10:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('questionnaire_responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('domain_scores', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('category', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('timepoint', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('recorded_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('contact_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_questionnaire_responses_recorded_by_id_users'), 'users',
            ['recorded_by_id'], ['id'])
        batch_op.create_foreign_key(
            batch_op.f('fk_questionnaire_responses_contact_id_scheduled_contacts'),
            'scheduled_contacts', ['contact_id'], ['id'])
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('activity_project_sessions', sa.Integer(), nullable=True))
    op.create_table(
        'endurance_tests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('enrolment_id', sa.Integer(), nullable=False),
        sa.Column('contact_id', sa.Integer(), nullable=True),
        sa.Column('timepoint', sa.String(length=20), nullable=True),
        sa.Column('performed_on', sa.Date(), nullable=False),
        sa.Column('peak_watts', sa.SmallInteger(), nullable=False),
        sa.Column('load_percent', sa.SmallInteger(), nullable=False),
        sa.Column('load_watts', sa.SmallInteger(), nullable=False),
        sa.Column('duration_s', sa.Integer(), nullable=False),
        sa.Column('hr_start', sa.SmallInteger(), nullable=True),
        sa.Column('hr_end', sa.SmallInteger(), nullable=True),
        sa.Column('borg_start', sa.SmallInteger(), nullable=True),
        sa.Column('borg_end', sa.SmallInteger(), nullable=True),
        sa.Column('stop_reason', sa.String(length=32), nullable=False),
        sa.Column('notes', sa.Text(), nullable=True),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['contact_id'], ['scheduled_contacts.id'],
                                name=op.f('fk_endurance_tests_contact_id_scheduled_contacts')),
        sa.ForeignKeyConstraint(['enrolment_id'], ['enrolments.id'],
                                name=op.f('fk_endurance_tests_enrolment_id_enrolments')),
        sa.ForeignKeyConstraint(['patient_id'], ['patients.id'],
                                name=op.f('fk_endurance_tests_patient_id_patients')),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'],
                                name=op.f('fk_endurance_tests_recorded_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_endurance_tests')),
    )
    op.create_index(op.f('ix_endurance_tests_enrolment_id'), 'endurance_tests',
                    ['enrolment_id'])
    op.create_index(op.f('ix_endurance_tests_patient_id'), 'endurance_tests', ['patient_id'])
    op.create_table(
        'visit_reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('enrolment_id', sa.Integer(), nullable=False),
        sa.Column('contact_id', sa.Integer(), nullable=False),
        sa.Column('timepoint', sa.String(length=20), nullable=False),
        sa.Column('contents', sa.JSON(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['contact_id'], ['scheduled_contacts.id'],
                                name=op.f('fk_visit_reports_contact_id_scheduled_contacts')),
        sa.ForeignKeyConstraint(['enrolment_id'], ['enrolments.id'],
                                name=op.f('fk_visit_reports_enrolment_id_enrolments')),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'],
                                name=op.f('fk_visit_reports_recorded_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_reports')),
        sa.UniqueConstraint('contact_id', name=op.f('uq_visit_reports_contact_id')),
    )
    op.create_index(op.f('ix_visit_reports_enrolment_id'), 'visit_reports', ['enrolment_id'])


def downgrade():
    op.drop_index(op.f('ix_visit_reports_enrolment_id'), table_name='visit_reports')
    op.drop_table('visit_reports')
    op.drop_index(op.f('ix_endurance_tests_patient_id'), table_name='endurance_tests')
    op.drop_index(op.f('ix_endurance_tests_enrolment_id'), table_name='endurance_tests')
    op.drop_table('endurance_tests')
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_column('activity_project_sessions')
    with op.batch_alter_table('questionnaire_responses', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_questionnaire_responses_contact_id_scheduled_contacts'),
            type_='foreignkey')
        batch_op.drop_constraint(
            batch_op.f('fk_questionnaire_responses_recorded_by_id_users'), type_='foreignkey')
        batch_op.drop_column('contact_id')
        batch_op.drop_column('recorded_by_id')
        batch_op.drop_column('timepoint')
        batch_op.drop_column('category')
        batch_op.drop_column('domain_scores')
