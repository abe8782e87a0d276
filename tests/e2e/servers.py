"""Serve WSGI apps over real sockets in background threads (loopback, a free port each)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

from werkzeug.serving import make_server


class LateApp:
    """Bind the socket first (to learn the port), attach the app afterwards."""

    def __init__(self) -> None:
        self.app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@dataclass
class Served:
    url: str
    port: int
    late: LateApp
    server: object
    thread: threading.Thread

    def attach(self, app) -> None:
        self.late.app = app

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def bind(host: str = "127.0.0.1", port: int = 0) -> Served:
    late = LateApp()
    server = make_server(host, port, late, threaded=True)
    port = server.server_port
    thread = threading.Thread(target=server.serve_forever, name=f"wsgi-{port}", daemon=True)
    thread.start()
    return Served(url=f"http://{host}:{port}", port=port, late=late, server=server, thread=thread)


class Receiver:
    """A tiny HTTP receiver on 127.0.0.1 that records posts and answers ``status`` (with
    ``body``, JSON when it is a dict)."""

    def __init__(self, status: int = 200) -> None:
        from werkzeug.wrappers import Request, Response

        self._request, self._response = Request, Response
        self.status = status
        self.body: str | dict = ""
        self.received: list[dict] = []
        self.served = bind()
        self.served.attach(self)

    @property
    def url(self) -> str:
        return self.served.url

    def __call__(self, environ, start_response):
        request = self._request(environ)
        self.received.append({"path": request.path, "form": dict(request.form),
                              "content_type": request.content_type,
                              "body": request.get_data(as_text=True)})
        if isinstance(self.body, dict):
            response = self._response(json.dumps(self.body), status=self.status,
                                      mimetype="application/json")
        else:
            response = self._response(self.body, status=self.status)
        return response(environ, start_response)

    def stop(self) -> None:
        self.served.stop()
