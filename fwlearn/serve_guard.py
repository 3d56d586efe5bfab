"""textual-serve's server with fwlearn's guard: a per-launch token and same-origin websockets.

Imported only by ``fwlearn serve`` (textual-serve and aiohttp are the ``serve`` extra). Why each
rule exists is in ``cmd_serve``'s docstring; here is how: one aiohttp middleware in front of
every route, and an index page whose websocket URL follows the request's own host.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from textual_serve.server import Server, to_int

COOKIE = "fwlearn_token"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
FORBIDDEN = (
    "fwlearn serve: this page needs the URL printed when the server started "
    "(it carries this launch's access token)."
)


class GuardedServer(Server):
    """``Server`` whose routes need the launch's token, and whose websocket needs same origin."""

    def __init__(self, command: str, *, host: str, port: int, token: str, url: str) -> None:
        super().__init__(command, host=host, port=port, title="fwlearn")
        self.token = token
        self.url = url

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(guard(self.token))
        return app

    async def on_startup(self, app: web.Application) -> None:
        self.console.print(f"fwlearn in your browser: {self.url}", highlight=False, soft_wrap=True)
        self.console.print("(one app per browser tab; Ctrl+C here stops them all)")

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        """textual-serve's page, with URLs on the host the browser used (see cmd_serve)."""
        scheme = "https" if request.secure else "http"
        base = f"{scheme}://{request.host}"
        websocket = ("wss" if request.secure else "ws") + f"://{request.host}/ws"
        context: dict[str, Any] = {
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            "app_websocket_url": websocket,
            "config": {"static": {"url": f"{base}/static/"}},
            "application": {"name": self.title},
        }
        return aiohttp_jinja2.render_template("app_index.html", request, context)


def guard(token: str) -> Any:
    """The middleware: the page needs ``?token=`` (and sets the cookie), the rest the cookie."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/static/"):  # the page's scripts and fonts: nothing secret
            return await handler(request)
        if request.path == "/" and secrets.compare_digest(request.query.get("token", ""), token):
            response: web.StreamResponse = await handler(request)
            response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", path="/")
            return response
        if not secrets.compare_digest(request.cookies.get(COOKIE, ""), token):
            raise web.HTTPForbidden(text=FORBIDDEN)
        if request.path == "/ws" and not same_origin(request):
            raise web.HTTPForbidden(text="fwlearn serve: cross-origin connection refused")
        return await handler(request)

    return middleware


def same_origin(request: web.Request) -> bool:
    """The websocket's ``Origin`` is the page's own scheme and host (browsers always send it)."""
    origin = request.headers.get("Origin", "")
    return origin in (f"http://{request.host}", f"https://{request.host}")
