"""help desk handoffs; a version on requests; webhook deliveries without a webhook row

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 23:30:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("support_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    with op.batch_alter_table("webhook_delivery", schema=None) as batch_op:
        batch_op.alter_column("webhook_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("target", sa.String(length=2000), nullable=True))
    op.create_table(
        "helpdesk_handoff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("outbox_message_id", sa.Integer(), nullable=True),
        sa.Column("webhook_delivery_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["outbox_message_id"],
            ["outbox_message.id"],
            name=op.f("fk_helpdesk_handoff_outbox_message_id_outbox_message"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["support_request.id"],
            name=op.f("fk_helpdesk_handoff_request_id_support_request"),
        ),
        sa.ForeignKeyConstraint(
            ["webhook_delivery_id"],
            ["webhook_delivery.id"],
            name=op.f("fk_helpdesk_handoff_webhook_delivery_id_webhook_delivery"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_helpdesk_handoff")),
        sa.UniqueConstraint("request_id", "sequence", name=op.f("uq_helpdesk_handoff_request_id")),
    )
    with op.batch_alter_table("helpdesk_handoff", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_helpdesk_handoff_request_id"), ["request_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("helpdesk_handoff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_helpdesk_handoff_request_id"))
    op.drop_table("helpdesk_handoff")
    # the help desk's deliveries have no webhook row: they cannot stay in the older schema
    op.execute("DELETE FROM webhook_delivery WHERE webhook_id IS NULL")
    with op.batch_alter_table("webhook_delivery", schema=None) as batch_op:
        batch_op.drop_column("target")
        batch_op.alter_column("webhook_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("support_request", schema=None) as batch_op:
        batch_op.drop_column("version")
