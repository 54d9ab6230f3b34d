"""Error pages in the site's style (JSON under /api/); a 500 rolls back and shows no trace."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

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

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError):
        db.session.rollback()
        if _wants_json():
            return _json_error(500, "internal_error", "the error has been logged")
        return render_template("errors/error.html", error=error), 500
