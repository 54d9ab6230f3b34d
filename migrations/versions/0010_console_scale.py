"""indexes for the console's ticket list at scale: the queue by state (and service) newest first,
and "has this incident a request on its master ticket?" answered from an index

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 02:50:00.000000

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

#: (name, columns); each replaces the single-column index it starts with
INDEXES = (
    ("ix_support_request_state_created_at", ["state", "created_at"], "ix_support_request_state"),
    (
        "ix_support_request_state_service_id_created_at",
        ["state", "service_id", "created_at"],
        None,
    ),
    (
        "ix_support_request_incident_id_state",
        ["incident_id", "state"],
        "ix_support_request_incident_id",
    ),
)


def upgrade():
    with op.batch_alter_table("support_request", schema=None) as batch_op:
        for name, columns, replaced in INDEXES:
            batch_op.create_index(name, columns, unique=False)
            if replaced:
                batch_op.drop_index(replaced)


def downgrade():
    with op.batch_alter_table("support_request", schema=None) as batch_op:
        for name, columns, replaced in reversed(INDEXES):
            if replaced:
                batch_op.create_index(replaced, [columns[0]], unique=False)
            batch_op.drop_index(name)
