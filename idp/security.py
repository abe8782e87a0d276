"""Security headers on every response (CSP, no referrer, no sniffing, no framing)."""

from flask import Flask, Response, request

CSP = ("default-src 'self'; img-src 'self' data: http: https:; style-src 'self'; "
       "script-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")


#: on every response (also those served in front of Flask, idp/views/discovery.py)
SECURITY_HEADERS = (("Content-Security-Policy", CSP), ("Referrer-Policy", "no-referrer"),
                    ("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"))


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def add_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS:
            response.headers.setdefault(name, value)
        if response.mimetype == "text/html" or request.path.startswith(("/token", "/userinfo")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
