"""A real OpenAI-compatible HTTP server on 127.0.0.1 for tests and benchmarks, with scripted faults.

Each POST /v1/chat/completions gets one behaviour: the next one from `script` (a global queue), else
the class's entry in `policy` (a list is consumed per request, its last item then repeats), else a
random fault with probability `fault_rate`, else a good answer. Requests are recorded with their
headers, class and behaviour.

Server-wide quirks: `rejects_formats` lists the response_format types answered with HTTP 400 (as a
server without grammar support does), or with `format_error_status` 500 and a request-validation
message naming response_format (as llama.cpp's server answers `json_schema`); with
`needs_max_tokens` set, a good answer requested without a max_tokens at least that large comes back
cut off with finish_reason "length".
"""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

Behaviour = Literal[
    "ok", "invalid_json", "schema", "429", "500", "hang", "drop", "401", "400",
    # real servers' quirks around a good answer
    "fenced", "chatty", "think", "unfinished_think",
    # valid JSON of the schema that breaks the rules for LLM answers (1 phase, 1 body part, no scene)
    "short",
    # a small model's answers: the prompt's example phrases copied; the class named as object and scene
    "copied", "misplaced",
]
FAULTS: tuple[Behaviour, ...] = ("invalid_json", "schema", "429", "500", "hang", "drop")
CLASS_PREFIX = "Action class: "


@dataclass
class RecordedRequest:
    class_name: str
    behaviour: Behaviour
    headers: dict[str, str]
    body: dict[str, Any]
    at: float


def good_answer(class_name: str) -> dict[str, Any]:
    return {
        "objects": [{"name": f"{class_name} gear", "predicate": "holds"},
                    {"name": "floor mat", "predicate": "stands on"}],
        "scenes": ["training hall"],
        "object_relations": [
            {"subject": f"{class_name} gear", "predicate": "lies on", "object": "floor mat"}
        ],
        "phases": [
            {
                "text": f"getting ready to {class_name}",
                "motions": [{"body_part": "hands", "motion": "grip"}],
                "handles": [f"{class_name} gear"],
            },
            {
                "text": f"doing {class_name}",
                "motions": [
                    {"body_part": "arms", "motion": "swing"},
                    {"body_part": "legs", "motion": "brace"},
                ],
            },
            {"text": "finishing", "motions": [{"body_part": "whole body", "motion": "relax"}]},
        ],
    }


def copied_answer() -> dict[str, Any]:
    """Valid and following the rules, but its scene and motions are the instructions' quoted examples."""
    answer = good_answer("lifting")
    answer["scenes"] = ["weightlifting gym"]
    for phase in answer["phases"]:
        phase["motions"] = [{**m, "motion": "grip the bar"} for m in phase["motions"]]
    return answer


def misplaced_answer(class_name: str) -> dict[str, Any]:
    """A good answer plus the class's own name as an object, handled object and scene, and one name
    as both an object and a scene."""
    answer = good_answer(class_name)
    answer["objects"] += [{"name": class_name.upper(), "predicate": "does"}, {"name": "lawn", "predicate": "walks on"}]
    answer["scenes"] += [class_name, "lawn"]
    answer["phases"][0]["handles"] = [*answer["phases"][0]["handles"], class_name]
    return answer


@dataclass
class FakeOpenAIServer:
    latency_s: float = 0.0
    fault_rate: float = 0.0
    seed: int = 0
    hang_s: float = 3.0
    retry_after: str = "0"
    script: deque[Behaviour] = field(default_factory=deque)
    policy: dict[str, list[Behaviour]] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    rejects_formats: set[str] = field(default_factory=set)
    format_error_status: int = 400
    needs_max_tokens: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(self.seed)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def start(self) -> FakeOpenAIServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # silence stderr
                pass

            def do_POST(self) -> None:
                server._handle(self)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- bookkeeping -------------------------------------------------------------------------

    def calls_for(self, class_name: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.class_name == class_name]

    def _choose(self, class_name: str) -> Behaviour:
        with self._lock:
            if self.script:
                return self.script.popleft()
            planned = self.policy.get(class_name)
            if planned:
                return planned.pop(0) if len(planned) > 1 else planned[0]
            if self.fault_rate and self._rng.random() < self.fault_rate:
                return self._rng.choice(FAULTS)
            return "ok"

    # --- HTTP --------------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("content-length", "0"))
        body = json.loads(handler.rfile.read(length) or b"{}")
        if handler.path.rstrip("/") != "/v1/chat/completions":
            self._send(handler, 404, {"error": {"message": "not found"}})
            return
        class_name = _class_of(body)
        format_type = (body.get("response_format") or {}).get("type")
        if format_type in self.rejects_formats:
            with self._lock:
                headers = {k.lower(): v for k, v in handler.headers.items()}
                rejected: Behaviour = "500" if self.format_error_status == 500 else "400"
                self.requests.append(RecordedRequest(class_name, rejected, headers, body, time.monotonic()))
            status = self.format_error_status
            message = f"response_format type {format_type!r} is not supported"
            if status == 500:  # llama-cpp-python's wording: the request model's validation error
                message = ("1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format', "
                           "'type'), 'msg': \"Input should be 'text' or 'json_object'\"}")
            self._send(handler, status, {"error": {"message": message, "type": "invalid_request_error"}})
            return
        behaviour = self._choose(class_name)
        with self._lock:
            headers = {k.lower(): v for k, v in handler.headers.items()}
            self.requests.append(RecordedRequest(class_name, behaviour, headers, body, time.monotonic()))
        if self.latency_s:
            time.sleep(self.latency_s)
        if behaviour == "drop":
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        if behaviour == "hang":
            time.sleep(self.hang_s)
        if behaviour == "429":
            self._send(
                handler, 429, {"error": {"message": "rate limited"}}, {"Retry-After": self.retry_after}
            )
        elif behaviour == "500":
            self._send(handler, 500, {"error": {"message": "internal error"}})
        elif behaviour == "401":
            self._send(handler, 401, {"error": {"message": "bad key"}})
        else:
            good = json.dumps(good_answer(class_name), indent=1)
            content = {
                "invalid_json": '{"objects": ["rope", "scenes": ',
                "schema": json.dumps({"objects": "rope", "phases": [{"motions": 3}], "colour": "red"}),
                "fenced": f"```json\n{good}\n```",
                "chatty": f"Sure! Here is the decomposition:\n{good}\nI hope this helps {{:-)}}.",
                "think": f"<think>\nThe user wants {{JSON}}. Phases: start, middle, end.\n</think>\n\n{good}",
                "unfinished_think": "<think>\nLet me think about {the phases} of this",
                "short": json.dumps({"objects": [{"name": "rope", "predicate": "climbs"}], "phases": [
                    {"text": "climbing", "motions": [{"body_part": "hands", "motion": "grip"}]}]}),
                "copied": json.dumps(copied_answer()),
                "misplaced": json.dumps(misplaced_answer(class_name)),
            }.get(behaviour) or good
            finish_reason = "stop"
            max_tokens = body.get("max_tokens") or 0
            if self.needs_max_tokens and behaviour == "ok" and max_tokens < self.needs_max_tokens:
                content, finish_reason = content[: len(content) // 2], "length"
            completion = _completion(body.get("model", "fake"), content, finish_reason)
            self._send(handler, 200, completion)

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler,
        status: int,
        payload: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(payload).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                handler.send_header(key, value)
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:  # the client gave up (timeout) and closed the socket
            handler.close_connection = True


def _class_of(body: dict[str, Any]) -> str:
    for message in body.get("messages", []):
        content = message.get("content")
        if message.get("role") == "user" and isinstance(content, str) and content.startswith(CLASS_PREFIX):
            return content[len(CLASS_PREFIX) :].splitlines()[0].strip()  # a retry adds the reason below
    return ""


def _completion(model: str, content: str, finish_reason: str = "stop") -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish_reason}
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }
