"""session samples packed per session and signal (session_series); time in zone and above ceiling

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 15:00:00

Existing hr_samples rows become one session_series row per session (signal
'hr'), packed as little-endian 16-bit arrays; the downgrade unpacks them back.
The packing is written out here rather than imported, so this migration keeps
working whatever the services become.
"""
import sys
from array import array

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

BATCH_SESSIONS = 2000


def _pack(values, typecode):
    packed = array(typecode, values)
    if sys.byteorder == 'big':
        packed.byteswap()
    return packed.tobytes()


def _unpack(blob, typecode):
    values = array(typecode)
    values.frombytes(blob)
    if sys.byteorder == 'big':
        values.byteswap()
    return values.tolist()


def upgrade():
    op.create_table(
        'session_series',
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('signal', sa.String(length=8), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('offsets', sa.LargeBinary(), nullable=False),
        sa.Column('values', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['session_id'], ['ergo_sessions.id'],
                                name=op.f('fk_session_series_session_id_ergo_sessions'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('session_id', 'signal', name=op.f('pk_session_series')),
    )
    with op.batch_alter_table('ergo_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hr_in_zone_s', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('hr_above_ceiling_s', sa.Integer(), nullable=True))
    bind = op.get_bind()
    series = sa.table('session_series', sa.column('session_id'), sa.column('signal'),
                      sa.column('count'), sa.column('offsets'), sa.column('values'))
    last = 0
    while True:
        ids = bind.execute(sa.text(
            'SELECT DISTINCT session_id FROM hr_samples WHERE session_id > :last '
            'ORDER BY session_id LIMIT :n'), {'last': last, 'n': BATCH_SESSIONS}).scalars().all()
        if not ids:
            break
        grouped = {}
        for sid, offset, bpm in bind.execute(sa.text(
                'SELECT session_id, offset_s, bpm FROM hr_samples '
                'WHERE session_id >= :first AND session_id <= :last '
                'ORDER BY session_id, offset_s'), {'first': ids[0], 'last': ids[-1]}):
            grouped.setdefault(sid, []).append((offset, bpm))
        bind.execute(series.insert(), [
            {'session_id': sid, 'signal': 'hr', 'count': len(pairs),
             'offsets': _pack([o for o, _ in pairs], 'H'),
             'values': _pack([v for _, v in pairs], 'h')}
            for sid, pairs in grouped.items()])
        last = ids[-1]
    op.drop_table('hr_samples')


def downgrade():
    op.create_table(
        'hr_samples',
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('offset_s', sa.Integer(), nullable=False),
        sa.Column('bpm', sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(['session_id'], ['ergo_sessions.id'],
                                name=op.f('fk_hr_samples_session_id_ergo_sessions'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('session_id', 'offset_s', name=op.f('pk_hr_samples')),
    )
    bind = op.get_bind()
    samples = sa.table('hr_samples', sa.column('session_id'), sa.column('offset_s'),
                       sa.column('bpm'))
    last = 0
    while True:
        rows = bind.execute(sa.text(
            "SELECT session_id, offsets, \"values\" FROM session_series "
            "WHERE signal = 'hr' AND session_id > :last ORDER BY session_id LIMIT :n"),
            {'last': last, 'n': BATCH_SESSIONS}).all()
        if not rows:
            break
        bind.execute(samples.insert(), [
            {'session_id': sid, 'offset_s': o, 'bpm': v}
            for sid, offsets, values in rows
            for o, v in zip(_unpack(offsets, 'H'), _unpack(values, 'h'), strict=True)])
        last = rows[-1][0]
    op.drop_table('session_series')
    with op.batch_alter_table('ergo_sessions', schema=None) as batch_op:
        batch_op.drop_column('hr_above_ceiling_s')
        batch_op.drop_column('hr_in_zone_s')
