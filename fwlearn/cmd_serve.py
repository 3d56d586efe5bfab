"""``fwlearn serve``: the same app in a browser, for classrooms and for a GPU box over SSH.

textual-serve does the work: it serves a page with a terminal emulator (xterm.js) and starts one
``fwlearn`` app process per browser connection, talking to it over a websocket. What this module
adds is the guard, because whoever reaches the port can run code as the learner:

- it binds to 127.0.0.1 unless told otherwise; any other address needs ``--allow-remote`` and
  prints a warning (a typo'd ``--host 0.0.0.0`` must not publish a code runner);
- every launch makes a random token; only the printed URL (``/?token=...``) opens the page, which
  then sets an HttpOnly, SameSite=Strict cookie that the websocket and downloads must carry. This
  holds on loopback too: on a shared GPU box every local user reaches 127.0.0.1;
- the websocket also needs an ``Origin`` equal to the page's own host, so another web page open in
  the learner's browser cannot connect to it (cross-site WebSocket hijacking).

The page's websocket URL is built from the request's ``Host`` (textual-serve builds it from the
bind address): through ``ssh -L 8000:localhost:8000`` the browser says ``localhost:8000``, and a
URL naming ``127.0.0.1`` would be another site to the cookie.

textual-serve is an extra (``pip install 'fwlearn[serve]'``): without it the command says so.
"""

from __future__ import annotations

import argparse
import ipaddress
import secrets
import shlex
import sys

from fwlearn.console import EXIT_OK, EXIT_USAGE

LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and ``localhost`` are loopback; a name or any other address is not."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def app_command(lessons: str | None) -> str:
    """The shell command textual-serve runs for each connection: this Python's fwlearn app."""
    argv = [sys.executable, "-m", "fwlearn"]
    if lessons:
        argv += ["--lessons", lessons]
    return shlex.join(argv)


def page_url(host: str, port: int, token: str) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/?token={token}"


def serve_main(args: argparse.Namespace) -> int:
    host: str = args.host
    if not is_loopback(host) and not args.allow_remote:
        print(
            f"fwlearn serve: refusing to bind to {host}: anyone who reaches it can run code as "
            "you. Use the default 127.0.0.1 with an SSH tunnel (ssh -L 8000:localhost:8000 "
            "HOST), or pass --allow-remote if you mean it.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        from textual_serve.server import Server  # noqa: F401  (the extra may be missing)
    except ImportError:
        print("fwlearn serve needs textual-serve: pip install 'fwlearn[serve]'", file=sys.stderr)
        return EXIT_USAGE
    from fwlearn.serve_guard import GuardedServer

    token = secrets.token_urlsafe(24)
    if not is_loopback(host):
        print(
            f"warning: serving on {host}: anyone who reaches port {args.port} and has the URL's "
            "token can run code as you; prefer 127.0.0.1 and an SSH tunnel.",
            file=sys.stderr,
        )
    server = GuardedServer(
        app_command(args.serve_lessons or args.lessons),
        host=host,
        port=args.port,
        token=token,
        url=page_url("localhost" if is_loopback(host) else host, args.port, token),
    )
    server.serve()
    return EXIT_OK
