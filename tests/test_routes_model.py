"""The language-neutral route model: guards with their origin and role, allowlist exemptions, JS routes."""

from __future__ import annotations

from scanner.analysis.routes.authorization import privileged_action
from scanner.analysis.routes.model import Exemption, Guard, Route
from scanner.context import Span
from tests.test_python_routes import by_handler


def route(path: str, guards: list[Guard]) -> Route:
    return Route("python", "fastapi", path, ("GET",), "handler", "app.py", Span(1, 1, 1, 2), guards=guards)


def test_exemptions_match_as_the_guard_compares_paths():
    assert Exemption("/health", "exact", "a.py:1").covers("/health/")
    assert not Exemption("/health", "exact", "a.py:1").covers("/healthz")
    assert Exemption("/public/", "prefix", "a.py:1").covers("/public/logo.png")
    assert Exemption("^/api/v1/share/.*", "regex", "a.py:1").covers("/api/v1/share/42")
    assert Exemption("/static/*", "glob", "a.py:1").covers("/static/app.js")
    assert not Exemption("[", "regex", "a.py:1").covers("/x")  # an invalid regex covers nothing


def test_a_global_guard_does_not_protect_the_paths_it_lets_through():
    guard = Guard("middleware", "middleware AuthMiddleware", "app.py:3", exemptions=(
        Exemption("/export", "exact", "config.py:2"),))
    exempted, protected = route("/export", [guard]), route("/reports", [guard])
    exempted.apply_exemptions()
    protected.apply_exemptions()
    assert not exempted.authenticated
    assert [str(o) for o in exempted.public] == ["middleware AuthMiddleware skips '/export' at config.py:2"]
    assert protected.guards == [guard] and protected.public == []


def test_python_guards_carry_kind_origin_and_role():
    routes = by_handler({
        "app/security.py": """
            from functools import wraps
            from flask import abort, g

            def admin_only(view):
                @wraps(view)
                def wrapper(*args, **kwargs):
                    if g.user is None or g.user.role != "admin":
                        abort(403)
                    return view(*args, **kwargs)
                return wrapper
        """,
        "app/views.py": """
            from flask import Blueprint
            from flask_login import login_required
            from app.security import admin_only

            bp = Blueprint("admin", __name__, url_prefix="/admin")

            @bp.get("/users")
            @admin_only
            def users():
                return []

            @bp.post("/import")
            @login_required
            def import_users():
                return []
        """,
    })
    [admin] = routes["users"].guards
    assert (admin.kind, admin.name, admin.origin, admin.role) == (
        "decorator", "@admin_only (checks identity)", "app/views.py:9", True)
    [login] = routes["import_users"].guards
    assert (login.kind, login.origin, login.role) == ("decorator", "app/views.py:14", False)


def test_privileged_actions_are_admin_areas_and_writes_on_roles_members_or_team_resources():
    assert privileged_action("/admin/users", "list_users", ("GET",), "") == "is an administrative route"
    assert privileged_action("/teams/{id}/members", "add_member", ("POST",), "") == \
        "manages team or workspace membership"
    assert privileged_action("/users/{id}/role", "set_role", ("PUT",), "") == "changes roles or permissions"
    assert privileged_action("/billing/portal", "portal", ("POST",), "team = get_team(user)") == "manages billing"
    assert privileged_action("/billing/portal", "portal", ("POST",), "customer = user.customer") is None
    assert privileged_action("/users/me", "update_me", ("PUT",), "") is None
    assert privileged_action("/teams/{id}/members", "list_members", ("GET",), "") is None
