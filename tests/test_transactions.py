"""One transaction per request (`database.init_app`): what a response under 400 did is committed,
an error response keeps nothing, and a commit that fails is answered like the error it is."""

from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from statuspage.extensions import db
from statuspage.services import settings

from .conftest import csrf_token


def text(response) -> str:
    return response.get_data(as_text=True)


@contextmanager
def commits_fail(app):
    """Every commit fails as a database gone away would (the statements before it succeed)."""

    def refuse(session):
        raise OperationalError("COMMIT", {}, Exception("server closed the connection"))

    with app.app_context():
        event.listen(db.session, "before_commit", refuse)
    try:
        yield
    finally:
        with app.app_context():
            event.remove(db.session, "before_commit", refuse)


def mode(app) -> str:
    with app.app_context():
        return settings.get(db.session, "backlog_mode")


def test_a_form_that_succeeds_is_committed_by_the_request(app, admin):
    before = mode(app)
    wanted = "on" if before != "on" else "off"
    token = csrf_token(admin, "/staff/")
    response = admin.post("/staff/backlog-killer", data={"csrf_token": token, "mode": wanted})
    assert response.status_code == 302
    assert mode(app) == wanted  # seen from another session: committed


def test_a_commit_that_fails_is_a_503_and_says_nothing_was_saved(app, admin):
    before = mode(app)
    wanted = "on" if before != "on" else "off"
    token = csrf_token(admin, "/staff/")
    with commits_fail(app):
        response = admin.post("/staff/backlog-killer", data={"csrf_token": token, "mode": wanted})
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert mode(app) == before
    # the view's "updated" message is not shown on the next page: nothing was
    assert "Backlog Killer mode updated." not in text(admin.get("/staff/?lang=en"))


def test_a_failed_commit_on_the_api_is_a_json_503(app, tokens):
    with commits_fail(app):
        response = app.test_client().get(
            "/api/v1/components", headers={"Authorization": f"Bearer {tokens['responder']}"}
        )
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "service_unavailable"
