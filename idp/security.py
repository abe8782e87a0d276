"""Security headers on every response (CSP, no referrer, no sniffing, no framing)."""

from flask import Flask, Response, request

CSP = ("default-src 'self'; img-src 'self' data: http: https:; style-src 'self'; "
       "script-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def add_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if response.mimetype == "text/html" or request.path.startswith(("/token", "/userinfo")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
