"""an index on the outbox's recipient: the hourly allowance of unsolicited mail per address is
counted at each contact request, without reading the whole outbox

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-07 02:40:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_message_recipient"), ["recipient"], unique=False
        )


def downgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_message_recipient"))
