"""The console's blueprint and what its pages share: the sign-in guard, the admin guard,
the acting user, the incident templates."""

from __future__ import annotations

import functools
from pathlib import Path

from flask import Blueprint, abort, current_app, request
from flask_login import current_user

from statuspage.content import load_incident_templates
from statuspage.extensions import db, login_manager
from statuspage.models import StaffUser
from statuspage.services import staff

bp = Blueprint("staff", __name__, url_prefix="/staff")


@login_manager.user_loader
def _load_user(user_id: str) -> StaffUser | None:
    return staff.load_user(db.session, user_id)


@bp.before_request
def _require_login():
    """Every console route needs a signed-in user, except the sign-in page itself."""
    if request.endpoint == "staff.login":
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def admin_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    wrapper.admin_only = True  # type: ignore[attr-defined] - read by the authorization test
    return wrapper


def actor() -> str:
    return current_user.email


def incident_templates():
    return load_incident_templates(Path(current_app.config["CONTENT_DIR"]))


def init_app(app) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "staff.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
