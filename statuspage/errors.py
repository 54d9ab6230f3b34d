"""Error pages in the site's style (JSON under /api/); a 500 rolls back and shows no trace;
a database that does not answer is a 503 with `Retry-After`, never a 500."""

from __future__ import annotations

from contextlib import suppress

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import Conflict, HTTPException, InternalServerError, ServiceUnavailable

from statuspage.database import DATABASE_ERRORS
from statuspage.extensions import db


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _json_error(code: int, name: str, message: str):
    return jsonify({"error": {"code": name, "message": message}}), code


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is not None and error.code < 400:
            return error
        if _wants_json():
            name = (error.name or "error").lower().replace(" ", "_")
            return _json_error(error.code or 500, name, error.description or "")
        return render_template("errors/error.html", error=error), error.code

    @app.errorhandler(DBAPIError)
    @app.errorhandler(PoolTimeout)
    def database_unavailable(error: Exception):
        """The database stopped, locked or too slow, on a page that needs it: a clear 503."""
        with suppress(*DATABASE_ERRORS):
            db.session.rollback()
        app.logger.warning("database unavailable for %s: %s", request.path, error)
        unavailable = ServiceUnavailable()
        if _wants_json():
            response = _json_error(503, "service_unavailable", "try again in a moment")[0]
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
            return _json_error(500, "internal_error", "the error has been logged")
        return render_template("errors/error.html", error=error), 500
