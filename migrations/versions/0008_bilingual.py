"""incidents, updates and postmortems in English and French (name_en/fr, body_en/fr, postmortem_en/fr)

Existing single-language text goes to the language it reads as (a French template's text to
French), and to the site's default language when it is too short to tell.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 23:30:00.000000

"""
from alembic import op
import sqlalchemy as sa
from flask import current_app

from statuspage.domain.texts import guess_language


# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _default_language() -> str:
    try:
        lang = current_app.config.get("DEFAULT_LANGUAGE", "en")
    except RuntimeError:  # run outside the app
        lang = "en"
    return lang if lang in ("en", "fr") else "en"


def upgrade():
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_en", sa.String(length=255), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("name_fr", sa.String(length=255), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("postmortem_en", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("postmortem_fr", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("incident_update", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body_en", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("body_fr", sa.Text(), nullable=False, server_default=""))

    default = _default_language()
    bind = op.get_bind()
    incident = sa.table(
        "incident",
        sa.column("id", sa.String),
        sa.column("name", sa.String),
        sa.column("postmortem_body", sa.Text),
        sa.column("name_en", sa.String),
        sa.column("name_fr", sa.String),
        sa.column("postmortem_en", sa.Text),
        sa.column("postmortem_fr", sa.Text),
    )
    update = sa.table(
        "incident_update",
        sa.column("id", sa.String),
        sa.column("incident_id", sa.String),
        sa.column("body", sa.Text),
        sa.column("body_en", sa.Text),
        sa.column("body_fr", sa.Text),
    )
    bodies: dict[str, list[tuple[str, str]]] = {}
    for row in bind.execute(sa.select(update.c.id, update.c.incident_id, update.c.body)):
        bodies.setdefault(row.incident_id, []).append((row.id, row.body or ""))
    for row in bind.execute(sa.select(incident.c.id, incident.c.name, incident.c.postmortem_body)):
        own = bodies.get(row.id, [])
        whole = " ".join([row.name or "", *(b for _, b in own), row.postmortem_body or ""])
        lang = guess_language(whole) or default
        name_lang = guess_language(row.name or "") or lang
        postmortem = row.postmortem_body or ""
        postmortem_lang = guess_language(postmortem) or lang
        bind.execute(
            incident.update()
            .where(incident.c.id == row.id)
            .values({f"name_{name_lang}": row.name or "", f"postmortem_{postmortem_lang}": postmortem})
        )
        for update_id, body in own:
            body_lang = guess_language(body) or lang
            bind.execute(
                update.update().where(update.c.id == update_id).values({f"body_{body_lang}": body})
            )
    orphans = set(bodies) - {r.id for r in bind.execute(sa.select(incident.c.id))}
    for incident_id in orphans:
        for update_id, body in bodies[incident_id]:
            lang = guess_language(body) or default
            bind.execute(update.update().where(update.c.id == update_id).values({f"body_{lang}": body}))

    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_column("name")
        batch_op.drop_column("postmortem_body")
    with op.batch_alter_table("incident_update", schema=None) as batch_op:
        batch_op.drop_column("body")


def downgrade():
    default = _default_language()
    second = "fr" if default == "en" else "en"
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=255), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("postmortem_body", sa.Text(), nullable=True))
    with op.batch_alter_table("incident_update", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body", sa.Text(), nullable=False, server_default=""))

    def first_of(table, field):
        columns = table.c
        own, other = columns[f"{field}_{default}"], columns[f"{field}_{second}"]
        return sa.case((own != "", own), else_=other)

    incident = sa.table(
        "incident",
        sa.column("name", sa.String),
        sa.column("postmortem_body", sa.Text),
        sa.column("name_en", sa.String),
        sa.column("name_fr", sa.String),
        sa.column("postmortem_en", sa.Text),
        sa.column("postmortem_fr", sa.Text),
    )
    update = sa.table(
        "incident_update",
        sa.column("body", sa.Text),
        sa.column("body_en", sa.Text),
        sa.column("body_fr", sa.Text),
    )
    postmortem = first_of(incident, "postmortem")
    op.execute(
        incident.update().values(
            name=first_of(incident, "name"),
            postmortem_body=sa.case((postmortem != "", postmortem), else_=None),
        )
    )
    op.execute(update.update().values(body=first_of(update, "body")))

    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_column("postmortem_fr")
        batch_op.drop_column("postmortem_en")
        batch_op.drop_column("name_fr")
        batch_op.drop_column("name_en")
    with op.batch_alter_table("incident_update", schema=None) as batch_op:
        batch_op.drop_column("body_fr")
        batch_op.drop_column("body_en")
