"""Small bilingual (Estonian first, English second) pages of the login blueprint.

The templates live here as strings because they are part of the library, and
each page carries a strict Content-Security-Policy that allows exactly its own
inline stylesheet by hash.
"""

from __future__ import annotations

import base64
import hashlib

from flask import Response
from jinja2 import Environment

__all__ = ["MESSAGES", "error_page", "page_csp", "simple_page"]

_env = Environment(autoescape=True)

_STYLE = (
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;background:#f6f7f9;"
    "color:#1a1a1a;line-height:1.5}main{max-width:38rem;margin:3rem auto;padding:2rem;background:#fff;"
    "border-radius:8px;border:1px solid #d0d4da}h1{font-size:1.5rem;margin-top:0}h2{font-size:1.2rem}"
    ".en{border-top:1px solid #d0d4da;margin-top:1.5rem;padding-top:.5rem;color:#333}"
    "a{color:#0b4fa3}a:focus-visible{outline:3px solid #1a1a1a;outline-offset:2px}"
    ".actions a{display:inline-block;margin:.5rem 1rem .5rem 0;padding:.5rem 1rem;border-radius:4px;"
    "background:#0b4fa3;color:#fff;text-decoration:none}.code{font-size:.875rem;color:#444}"
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()

_PAGE = _env.from_string("""<!doctype html>
<html lang="et">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{ m.et_title }} / {{ m.en_title }}</title>
<style>{{ style|safe }}</style>
</head>
<body>
<main>
<h1>{{ m.et_title }}</h1>
<p>{{ m.et_text }}</p>
<div class="en" lang="en">
<h2>{{ m.en_title }}</h2>
<p>{{ m.en_text }}</p>
</div>
{% if links %}<p class="actions">{% for href, et, en in links %}<a href="{{ href }}">{{ et }}
<span lang="en">/ {{ en }}</span></a>{% endfor %}</p>{% endif %}
{% if code %}<p class="code">Veakood / <span lang="en">error code</span>: <code>{{ code }}</code></p>{% endif %}
</main>
</body>
</html>
""")


def _m(et_title: str, et_text: str, en_title: str, en_text: str) -> dict[str, str]:
    return {"et_title": et_title, "et_text": et_text, "en_title": en_title, "en_text": en_text}


#: Page texts by kind.
MESSAGES: dict[str, dict[str, str]] = {
    "state": _m("Sisselogimine aegus", "Sisselogimine aegus või alustati see teises aknas. Palun proovige uuesti.",
                "Sign-in expired", "The sign-in expired or was started in another window. Please try again."),
    "login_required": _m("Palun logige sisse", "Te ei ole sisse logitud. Palun logige uuesti sisse.",
                         "Please sign in", "You are not signed in. Please sign in again."),
    "access_denied": _m("Sisselogimine katkestati", "Sisselogimine katkestati. Võite uuesti proovida.",
                        "Sign-in cancelled", "The sign-in was cancelled. You can try again."),
    "idp_error": _m("Sisselogimine ebaõnnestus", "Sisselogimisteenus ei saanud teid sisse logida.",
                    "Sign-in failed", "The sign-in service could not sign you in."),
    "token": _m("Sisselogimine ebaõnnestus",
                "Sisselogimist ei õnnestunud turvaliselt kinnitada. Palun proovige uuesti.",
                "Sign-in failed", "The sign-in could not be verified securely. Please try again."),
    "unavailable": _m("Teenus ei ole kättesaadav",
                      "Sisselogimisteenus ei ole praegu kättesaadav. Palun proovige mõne minuti pärast uuesti.",
                      "Service unavailable",
                      "The sign-in service is not available right now. Please try again in a few minutes."),
    "bad_issuer": _m("Vigane sisselogimislink", "See sisselogimislink ei pärine meie sisselogimisteenusest.",
                     "Invalid sign-in link", "This sign-in link does not come from our sign-in service."),
    "csrf": _m("Vorm aegus", "Väljalogimise vorm aegus. Palun laadige leht uuesti ja proovige veel kord.",
               "Form expired", "The sign-out form expired. Please reload the page and try again."),
    "logged_out": _m("Te olete välja logitud", "Olete edukalt välja logitud.",
                     "You are signed out", "You have been signed out successfully."),
    "frontchannel": _m("Välja logitud", "Selle kooli seanss on lõpetatud.",
                       "Signed out", "The session at this school has ended."),
    "bad_request": _m("Vigane päring", "Seda päringut ei saa töödelda.",
                      "Bad request", "This request cannot be processed."),
}

#: OAuth error codes (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6) mapped to page kinds.
_ERROR_KINDS = {
    "login_required": "login_required",
    "interaction_required": "login_required",
    "consent_required": "login_required",
    "account_selection_required": "login_required",
    "access_denied": "access_denied",
    "temporarily_unavailable": "unavailable",
    "state_mismatch": "state",
    "login_expired": "state",
    "iss_mismatch": "token",
    "iss_missing": "token",
}


def kind_for_error(error: str) -> str:
    """Page kind for an :class:`AuthorizationResponseError` code."""
    return _ERROR_KINDS.get(error, "idp_error")


def page_csp(frame_ancestors: str = "'none'") -> str:
    """The Content-Security-Policy sent with these pages."""
    return (f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; base-uri 'none'; form-action 'self'; "
            f"frame-ancestors {frame_ancestors}")


def simple_page(
    kind: str,
    status: int = 200,
    *,
    links: list[tuple[str, str, str]] | None = None,
    code: str | None = None,
    frame_ancestors: str = "'none'",
) -> Response:
    """Render the page of ``kind`` with security headers and ``Cache-Control: no-store``."""
    html = _PAGE.render(m=MESSAGES[kind], style=_STYLE, links=links or [], code=code)
    resp = Response(html, status=status, mimetype="text/html")
    resp.headers["Content-Security-Policy"] = page_csp(frame_ancestors)
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


def error_page(kind: str, status: int, *, login_url: str, home_url: str = "/", code: str | None = None) -> Response:
    """A friendly bilingual error page with "try again" and "home" links."""
    links = [(login_url, "Proovi uuesti", "Try again"), (home_url, "Avalehele", "Home page")]
    return simple_page(kind, status, links=links, code=code)
