"""claims on queued mail and webhook deliveries (claimed_by, claimed_until)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 20:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    for table in ("outbox_message", "webhook_delivery"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("claimed_by", sa.String(length=80), nullable=True))
            batch_op.add_column(sa.Column("claimed_until", sa.DateTime(), nullable=True))


def downgrade():
    for table in ("webhook_delivery", "outbox_message"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("claimed_until")
            batch_op.drop_column("claimed_by")
