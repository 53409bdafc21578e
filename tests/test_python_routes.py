"""The project-level route model on multi-file projects: discovery, paths, and what protects each route."""

from __future__ import annotations

import textwrap

from scanner.analysis.routes.python.index import index_routes, route_for_function, routes_of
from scanner.config import Config
from scanner.context import Context, ProjectFacts
from scanner.model import Artifact, Origin
from scanner.sources.files import artifact_kind


def model(files: dict[str, str]):
    facts = ProjectFacts(Config())
    contexts = {}
    for path, text in files.items():
        ctx = Context(Artifact(path=path, text=textwrap.dedent(text), kind=artifact_kind(path), origin=Origin()),
                      facts)
        index_routes(ctx)
        contexts[path] = ctx
    return facts, contexts


def by_handler(files: dict[str, str]):
    """Routes by handler name; a class view's method routes also by the class name (its first method)."""
    facts, _ = model(files)
    routes = {}
    for route in routes_of(facts):
        routes.setdefault(route.handler, route)
        routes.setdefault(route.handler.split(".")[0], route)
    return routes


def auth(route) -> list[str]:
    return [guard.name for guard in route.guards]


def public(route) -> list[str]:
    return [opt_out.what for opt_out in route.public]


def test_fastapi_dependency_chain_across_modules_protects_router():
    routes = by_handler({
        "app/security.py": """
            from fastapi.security import OAuth2PasswordBearer
            oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")
        """,
        "app/deps.py": """
            from fastapi import Depends
            from .security import oauth2_scheme

            def get_current_user(token: str = Depends(oauth2_scheme)):
                return token

            def get_active_user(user=Depends(get_current_user)):
                return user
        """,
        "app/routers/items.py": """
            from fastapi import APIRouter, Depends
            from app.deps import get_active_user

            router = APIRouter(prefix="/items", dependencies=[Depends(get_active_user)])

            @router.get("/{item_id}")
            def read_item(item_id: int, q: str | None = None):
                return {}
        """,
        "app/routers/public.py": """
            from fastapi import APIRouter
            router = APIRouter()

            @router.post("/chat")
            async def chat(body: dict):
                return {}
        """,
        "app/main.py": """
            from fastapi import FastAPI
            from app.routers import items, public

            app = FastAPI()
            app.include_router(items.router, prefix="/api")
            app.include_router(public.router, prefix="/api")
        """,
    })
    item = routes["read_item"]
    assert item.framework == "fastapi"
    assert item.path == "/api/items/{item_id}"
    assert item.methods == ("GET",)
    assert item.path_params == ("item_id",)
    assert item.input_params == ("q",)
    assert auth(item) == ["Depends(get_active_user)"]
    chat = routes["chat"]
    assert chat.path == "/api/chat" and auth(chat) == []


def test_fastapi_annotated_alias_and_include_router_dependencies():
    routes = by_handler({
        "deps.py": """
            from typing import Annotated
            from fastapi import Depends, HTTPException
            def current_user(authorization: str | None = None):
                if not authorization:
                    raise HTTPException(status_code=401)
            CurrentUser = Annotated[dict, Depends(current_user)]
            def get_db():
                yield None
        """,
        "main.py": """
            from fastapi import FastAPI, APIRouter, Depends
            from deps import CurrentUser, get_db, current_user
            app = FastAPI()
            admin = APIRouter()

            @app.get("/me")
            def me(user: CurrentUser):
                return user

            @app.get("/items")
            def items(db=Depends(get_db)):
                return []

            @admin.delete("/users/{uid}")
            def remove(uid: int):
                return None

            app.include_router(admin, prefix="/admin", dependencies=[Depends(current_user)])
        """,
    })
    assert auth(routes["me"]) == ["Depends(current_user)"]
    assert auth(routes["items"]) == []
    assert routes["remove"].path == "/admin/users/{uid}"
    assert auth(routes["remove"]) == ["Depends(current_user)"]


def test_flask_blueprint_guard_custom_decorator_and_method_view():
    routes = by_handler({
        "app/auth.py": """
            from functools import wraps
            from flask import g, abort

            def require_user(view):
                @wraps(view)
                def wrapper(*args, **kwargs):
                    if g.user is None:
                        abort(401)
                    return view(*args, **kwargs)
                return wrapper

            def timed(view):
                return view
        """,
        "app/admin.py": """
            from flask import Blueprint, session, abort
            admin = Blueprint("admin", __name__, url_prefix="/admin")

            @admin.before_request
            def only_admins():
                if not session.get("is_admin"):
                    abort(403)

            @admin.route("/users")
            def users():
                return []
        """,
        "app/views.py": """
            from flask import Flask
            from flask.views import MethodView
            from flask_login import login_required
            from .auth import require_user, timed
            from .admin import admin

            app = Flask(__name__)
            app.register_blueprint(admin)

            @app.route("/notes/<int:note_id>", methods=["GET", "DELETE"])
            @require_user
            def note(note_id):
                return {}

            @app.get("/stats")
            @timed
            def stats():
                return {}

            @app.post("/profile")
            @login_required
            def profile():
                return {}

            class ReportView(MethodView):
                decorators = [login_required]
                def get(self):
                    return {}

            app.add_url_rule("/reports", view_func=ReportView.as_view("reports"))
        """,
    })
    assert routes["users"].path == "/admin/users"
    assert auth(routes["users"]) == ["guard only_admins"]
    assert auth(routes["note"]) == ["@require_user (checks identity)"]
    assert routes["note"].methods == ("GET", "DELETE") and routes["note"].path_params == ("note_id",)
    assert auth(routes["stats"]) == []
    assert auth(routes["profile"]) == ["@login_required"]
    assert auth(routes["ReportView"]) == ["@login_required"] and routes["ReportView"].methods == ("GET",)


def test_a_hook_that_only_loads_the_user_protects_nothing():
    routes = by_handler({
        "blog.py": """
            from flask import Blueprint, g, session
            bp = Blueprint("blog", __name__)

            @bp.before_app_request
            def load_logged_in_user():
                user_id = session.get("user_id")
                g.user = None if user_id is None else find_user(user_id)

            @bp.route("/drafts")
            def drafts():
                return []
        """,
    })
    assert auth(routes["drafts"]) == []


def test_flask_app_factory_guard_applies_to_all_routes():
    routes = by_handler({
        "factory.py": """
            from flask import Flask, request, abort
            from .api import bp

            def create_app():
                app = Flask(__name__)
                app.register_blueprint(bp, url_prefix="/api")

                @app.before_request
                def check_token():
                    if request.headers.get("Authorization") != "x":
                        abort(401)
                return app
        """,
        "api.py": """
            from flask import Blueprint
            bp = Blueprint("api", __name__)

            @bp.route("/data")
            def data():
                return {}
        """,
    })
    assert routes["data"].path == "/api/data"
    assert auth(routes["data"]) == ["guard check_token"]


def test_helpers_named_like_routes_are_not_routes():
    facts, _ = model({
        "client.py": """
            import requests
            cache = {}

            def fetch():
                return requests.get("/status")

            class Api:
                def get(self, path):
                    return path
        """,
    })
    assert routes_of(facts) == []


def test_django_urls_views_drf_defaults_and_login_required_middleware():
    files = {
        "proj/settings.py": """
            MIDDLEWARE = ["django.contrib.auth.middleware.LoginRequiredMiddleware"]
            REST_FRAMEWORK = {"DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"]}
        """,
        "proj/urls.py": """
            from django.urls import include, path
            urlpatterns = [path("api/", include("notes.urls"))]
        """,
        "notes/urls.py": """
            from django.urls import path
            from rest_framework.routers import DefaultRouter
            from . import views
            router = DefaultRouter()
            router.register(r"notes", views.NoteViewSet)
            urlpatterns = [
                path("health/", views.health),
                path("notes/<int:pk>/share/", views.ShareView.as_view()),
                path("", include(router.urls)),
            ]
        """,
        "notes/views.py": """
            from django.contrib.auth.decorators import login_not_required
            from rest_framework import viewsets
            from rest_framework.permissions import AllowAny
            from rest_framework.views import APIView

            @login_not_required
            def health(request):
                return None

            class ShareView(APIView):
                permission_classes = [AllowAny]
                def post(self, request, pk):
                    return None

            class NoteViewSet(viewsets.ModelViewSet):
                queryset = None
        """,
    }
    routes = by_handler(files)
    assert routes["health"].path == "/api/health/"
    assert public(routes["health"]) == ["login_not_required"] and auth(routes["health"]) == []
    share = routes["ShareView"]
    assert share.framework == "drf" and share.path == "/api/notes/<int:pk>/share/"
    assert share.path_params == ("pk",) and share.methods == ("POST",)
    assert public(share) == ["permission_classes AllowAny"]
    assert auth(share) == ["LoginRequiredMiddleware"]
    notes = routes["NoteViewSet"]
    assert notes.path == "/api/notes"
    assert auth(notes) == ["DEFAULT_PERMISSION_CLASSES IsAuthenticated", "LoginRequiredMiddleware"]


def test_django_without_middleware_or_drf_defaults():
    routes = by_handler({
        "site/urls.py": """
            from django.contrib import admin
            from django.contrib.auth.decorators import login_required
            from django.urls import path
            from shop import views
            urlpatterns = [
                path("admin/", admin.site.urls),
                path("orders/", login_required(views.OrderList.as_view())),
                path("cart/", views.CartView.as_view()),
                path("api/items/", views.items),
            ]
        """,
        "shop/views.py": """
            from django.contrib.auth.mixins import LoginRequiredMixin
            from django.views import View
            from rest_framework.decorators import api_view

            class OrderList(View):
                def get(self, request):
                    return None

            class CartView(LoginRequiredMixin, View):
                def get(self, request):
                    return None

            @api_view(["GET", "POST"])
            def items(request):
                return None
        """,
    })
    assert set(routes) == {"OrderList", "OrderList.get", "CartView", "CartView.get", "items"}
    assert auth(routes["OrderList"]) == ["@login_required"]
    assert auth(routes["CartView"]) == ["LoginRequiredMixin"]
    assert routes["items"].framework == "drf" and routes["items"].methods == ("GET", "POST")
    assert auth(routes["items"]) == []


def test_connexion_operations_map_to_handlers_and_security():
    facts, _ = model({
        "openapi.yaml": """
            openapi: 3.0.0
            security:
              - bearerAuth: []
            paths:
              /pets:
                get:
                  operationId: petstore.api.list_pets
                  security: []
              /pets/{id}:
                delete:
                  operationId: petstore.api.delete_pet
        """,
        "petstore/api.py": """
            from flask import request
            def list_pets():
                return []
            def delete_pet(id):
                return None
        """,
    })
    routes = {r.handler: r for r in routes_of(facts)}
    assert public(routes["list_pets"]) == ["OpenAPI security: []"] and auth(routes["list_pets"]) == []
    assert auth(routes["delete_pet"]) == ["OpenAPI security bearerAuth"]
    assert routes["delete_pet"].file == "petstore/api.py"
    function = routes["delete_pet"].node
    assert route_for_function(facts, "petstore/api.py", function) is routes["delete_pet"]


def test_syntax_errors_and_python2_files_are_skipped_with_a_reason():
    facts, contexts = model({
        "broken.py": "from flask import Flask\napp = Flask(__name__)\n@app.route('/x'\ndef x(: pass\n",
        "legacy.py": "from flask import Flask\napp = Flask(__name__)\nprint 'hello'\n",
    })
    assert routes_of(facts) == []
    for ctx in contexts.values():
        assert [n.reason for n in ctx.notices] == ["syntax-error"]


def test_asgi_middleware_and_inline_refusals_protect_routes():
    routes = by_handler({
        "mw.py": """
            from starlette.middleware.base import BaseHTTPMiddleware
            from starlette.responses import JSONResponse

            class BearerMiddleware(BaseHTTPMiddleware):
                async def dispatch(self, request, call_next):
                    if request.headers.get("Authorization") is None:
                        return JSONResponse({"error": "unauthorized"}, status_code=401)
                    return await call_next(request)

            class TimingMiddleware(BaseHTTPMiddleware):
                async def dispatch(self, request, call_next):
                    return await call_next(request)
        """,
        "api.py": """
            from fastapi import FastAPI, HTTPException, Request
            from starlette.middleware.authentication import AuthenticationMiddleware
            from mw import BearerMiddleware, TimingMiddleware

            secured = FastAPI()
            secured.add_middleware(BearerMiddleware)

            @secured.get("/orders")
            def orders():
                return []

            timed = FastAPI()
            timed.add_middleware(TimingMiddleware)
            timed.add_middleware(AuthenticationMiddleware, backend=None)

            @timed.get("/invoices")
            def invoices():
                return []

            @timed.get("/me")
            def me(request: Request):
                if not request.session.get("user_id"):
                    raise HTTPException(401)
                return {}

            hooked = FastAPI()

            @hooked.middleware("http")
            async def require_api_key(request, call_next):
                if request.headers.get("x-api-key") != "expected":
                    return JSONResponse({"error": "forbidden"}, status_code=403)
                return await call_next(request)

            @hooked.get("/usage")
            def usage():
                return {}
        """,
    })
    assert auth(routes["orders"]) == ["middleware BearerMiddleware"]
    assert auth(routes["invoices"]) == []
    assert auth(routes["me"]) == ["inline check in handler"] and not routes["me"].guarded
    assert auth(routes["usage"]) == ["guard require_api_key"]


def test_dependency_on_a_method_of_a_project_instance():
    routes = by_handler({
        "auth.py": """
            import jwt
            from fastapi import HTTPException, Security
            from fastapi.security import HTTPAuthorizationCredentials

            class AuthHandler:
                def decode_token(self, token):
                    try:
                        return jwt.decode(token, "k", algorithms=["HS256"])["sub"]
                    except jwt.InvalidTokenError:
                        raise HTTPException(status_code=401)

                def auth_wrapper(self, auth: HTTPAuthorizationCredentials = Security(None)):
                    return self.decode_token(auth.credentials)

                def describe(self):
                    return "jwt"

            auth_handler = AuthHandler()
        """,
        "main.py": """
            from fastapi import Depends, FastAPI
            from auth import auth_handler

            app = FastAPI()

            @app.get("/protected")
            def protected(username=Depends(auth_handler.auth_wrapper)):
                return username

            @app.get("/scheme")
            def scheme(kind=Depends(auth_handler.describe)):
                return kind
        """,
    })
    assert auth(routes["protected"]) == ["Depends(auth_handler.auth_wrapper)"]
    assert auth(routes["scheme"]) == []


def test_django_include_of_a_pattern_list_and_drf_base_class_permissions():
    routes = by_handler({
        "api/views.py": """
            from rest_framework.permissions import IsAuthenticated
            from rest_framework.views import APIView

            class SecureView(APIView):
                permission_classes = [IsAuthenticated]

            class ReportView(SecureView):
                def get(self, request):
                    return None

            def export(request):
                return None
        """,
        "urls.py": """
            from django.urls import include, path
            from api import views

            urlpatterns = [
                path("v1/", include([
                    path("reports/", views.ReportView.as_view()),
                    path("export/", views.export),
                ])),
            ]
        """,
    })
    assert routes["ReportView"].path == "/v1/reports/"
    assert auth(routes["ReportView"]) == ["permission_classes IsAuthenticated"]
    assert routes["export"].path == "/v1/export/" and auth(routes["export"]) == []


def test_api_key_dependencies_guard_but_an_llm_client_dependency_does_not():
    routes = by_handler({
        "deps.py": """
            import os
            from typing import Annotated
            from fastapi import Header, HTTPException
            from openai import OpenAI

            async def verify_api_key(x_api_key: Annotated[str | None, Header()] = None) -> str:
                if x_api_key != os.environ["SERVICE_API_KEY"]:
                    raise HTTPException(status_code=401, detail="invalid key")
                return x_api_key

            def get_llm():
                return OpenAI(api_key=os.environ["OPENAI_API_KEY"])
        """,
        "main.py": """
            from fastapi import APIRouter, Depends, FastAPI
            from deps import get_llm, verify_api_key

            app = FastAPI()
            internal = APIRouter(dependencies=[Depends(verify_api_key)])

            @internal.post("/ingest")
            def ingest():
                return {}

            @app.post("/complete")
            def complete(llm=Depends(get_llm)):
                return {}

            app.include_router(internal)
        """,
    })
    assert auth(routes["ingest"]) == ["Depends(verify_api_key)"]
    assert auth(routes["complete"]) == []
