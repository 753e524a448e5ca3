"""A small HTTP server on loopback for the services that cannot run here (Ollama, an
OpenAI-compatible server, the Telegram Bot API). Each route answers with a function of the
request; every request is recorded."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Tuple

Answer = Tuple[int, Any, Dict[str, str]]


@dataclass
class Request:
    method: str
    path: str
    body: Any
    headers: Dict[str, str]


class MockServer:
    """Routes are matched on the path without its query, case-insensitively (teloxide-style
    clients call ``/bot<token>/SendMessage``)."""

    def __init__(self) -> None:
        self.routes: Dict[str, Callable[[Request], Answer]] = {}
        self.fallback: Callable[[Request], Answer] = lambda _r: (404, {"error": "no route"}, {})
        self.requests: List[Request] = []
        self._lock = threading.Lock()
        mock = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body: Any = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode(errors="replace")
                path = self.path.split("?", 1)[0]
                request = Request(self.command, path, body, {k.lower(): v for k, v in self.headers.items()})
                with mock._lock:
                    mock.requests.append(request)
                    route = mock.routes.get(path.lower())
                status, payload, headers = (route or mock.fallback)(request)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a long poll at shutdown)

            do_GET = _serve
            do_POST = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, path: str, answer: Callable[[Request], Answer]) -> None:
        self.routes[path.lower()] = answer

    def json(self, path: str, body: Any, status: int = 200, headers: Optional[Dict[str, str]] = None) -> None:
        self.route(path, lambda _r: (status, body, dict(headers or {})))

    def sequence(self, path: str, bodies: List[Any]) -> None:
        """Answers with each body in turn, then with the last one again."""
        queue = list(bodies)

        def answer(_r: Request) -> Answer:
            body = queue.pop(0) if len(queue) > 1 else queue[0]
            return 200, body, {}

        self.route(path, answer)

    def calls(self, path: str) -> List[Request]:
        with self._lock:
            return [r for r in self.requests if r.path.lower() == path.lower()]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
