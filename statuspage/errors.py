"""Error pages in the site's style; a 500 rolls the session back and shows no stack trace."""

from __future__ import annotations

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException, InternalServerError

from statuspage.extensions import db


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is not None and error.code < 400:
            return error
        return render_template("errors/error.html", error=error), error.code

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError):
        db.session.rollback()
        return render_template("errors/error.html", error=error), 500
