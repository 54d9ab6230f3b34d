"""indexes for the console's counts at scale: the incident a request was proposed, offered
second or declined, and request events by action

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 00:25:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

INDEXES = (
    ("support_request", "proposed_incident_id"),
    ("support_request", "alternative_incident_id"),
    ("support_request", "declined_incident_id"),
    ("request_event", "action"),
)


def upgrade():
    for table, column in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def downgrade():
    for table, column in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_{column}"))
