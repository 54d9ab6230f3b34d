"""Error pages in the site's style (JSON under /api/); a 500 rolls back and shows no trace;
a database that does not answer is a 503 with `Retry-After`, never a 500.

The one mapping of the domain's refusals (`domain.errors.Refused`) onto the web: an HTTP status
per kind, onto a form (`on_form`), into a flash message (`flash_refused`), or into the one JSON
error body of the API (`json_error`, the `Error` schema of the OpenAPI document).
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from flask import Flask, flash, jsonify, render_template, request
from flask_babel import gettext
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import (
    Conflict,
    HTTPException,
    InternalServerError,
    ServiceUnavailable,
    default_exceptions,
)

from statuspage.database import DATABASE_ERRORS
from statuspage.domain.errors import Kind, Refused
from statuspage.extensions import db

#: the HTTP status of each kind of refusal
STATUS = {
    Kind.INVALID: 422,
    Kind.CONFLICT: 409,
    Kind.NOT_FOUND: 404,
    Kind.GONE: 410,
    Kind.UNAUTHORIZED: 401,
    Kind.THROTTLED: 429,
}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(status: int, code: str, message: str, field: str | None = None):
    """The API's one error body: `{"error": {"code", "message", "field"?}}`, with its status."""
    error: dict[str, Any] = {"code": code, "message": message}
    if field:
        error["field"] = field
    response = jsonify({"error": error})
    response.status_code = status
    return response


def discard_refused() -> None:
    """What the refused operation may have begun is not shown on the page that says no (the
    request's own end would roll it back too, but the page is rendered before that)."""
    with suppress(*DATABASE_ERRORS):
        db.session.rollback()


def on_form(form, error: Refused) -> int:
    """Puts a refusal on the form field it concerns (a text in both languages: its English
    field), else at the top of the form (also when the field is a choice with nothing left to
    choose, which pages do not show: a closed incident's status); returns the page's status."""
    discard_refused()
    field = error.field
    if field and field not in form and f"{field}_en" in form:
        field = f"{field}_en"
    if field and field in form and getattr(form[field], "choices", True) != []:
        form[field].errors = [*form[field].errors, str(error)]
    else:
        form.form_errors.append(str(error))
    return STATUS[error.kind]


def flash_refused(error: Refused, message: str | None = None) -> None:
    """A refusal told on the next page (after a redirect), in the given words or its own."""
    discard_refused()
    flash(message or str(error), "info" if message else "error")


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is not None and error.code < 400:
            return error
        if _wants_json():
            name = (error.name or "error").lower().replace(" ", "_")
            return json_error(error.code or 500, name, error.description or error.name)
        return render_template("errors/error.html", error=error), error.code

    @app.errorhandler(Refused)
    def refused(error: Refused):
        """A refusal no view put on a form: the API's JSON body, or the error page."""
        status = STATUS[error.kind]
        if _wants_json():
            return json_error(status, error.code, str(error), error.field)
        page = default_exceptions[status](description=str(error))
        return render_template("errors/error.html", error=page), status

    @app.errorhandler(DBAPIError)
    @app.errorhandler(PoolTimeout)
    def database_unavailable(error: Exception):
        """The database stopped, locked or too slow, on a page that needs it: a clear 503."""
        with suppress(*DATABASE_ERRORS):
            db.session.rollback()
        app.logger.warning("database unavailable for %s: %s", request.path, error)
        unavailable = ServiceUnavailable()
        if _wants_json():
            response = json_error(503, "service_unavailable", "try again in a moment")
        else:
            response = app.make_response(
                (render_template("errors/error.html", error=unavailable, live_chat=lambda: ""), 503)
            )
        response.status_code = 503
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(StaleDataError)
    def changed_meanwhile(error: StaleDataError):
        """The same request moved by someone else at the same moment (a double click, a
        colleague, the worker's timer): this change is not applied, and nothing is lost."""
        db.session.rollback()
        conflict = Conflict(
            description=gettext(
                "This request changed at the same moment. Reload the page to see where it "
                "stands, then try again if needed."
            )
        )
        return http_error(conflict)

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError):
        db.session.rollback()
        if _wants_json():
            return json_error(500, "internal_error", "the error has been logged")
        return render_template("errors/error.html", error=error), 500
