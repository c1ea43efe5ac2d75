"""The HTTP API, versioned under /v1, and the ASGI app that also carries the page.

POST /v1/ground   multipart (image file + text) or JSON (base64 image) -> the Result, optionally
                  the overlay and masks as base64 PNGs and a chat session id
POST /v1/chat     {session_id, question} -> the answer and its artifacts (boxes, masks, overlay PNGs)
GET  /v1/plugins  every registered plugin, usable or why not, and the one this server runs per role
GET  /healthz     the process answers;  GET /readyz  the models are loaded (503 until then)
/docs             OpenAPI;  /  the web page (page.py)

Errors are the output schema's error record with a one-line message, as the
CLI prints it: 413 for a body over the limit (refused from Content-Length,
before a byte is read) or an image over 50 MP (from its header, before
decoding), 422 for bad input, 404 for an unknown chat session, 429 with
Retry-After when the chain's queue is full, 503 when the installation
cannot run the chain.
"""
from __future__ import annotations

import base64
import binascii
import contextlib
from typing import Any, Literal, Optional

from fastapi import FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from riveg_agent import __version__
from riveg_agent.core.errors import InputError, RivegError
from riveg_agent.core.pipeline import FATAL, MAX_TEXT_CHARS, Pipeline
from riveg_agent.core.schema import ErrorInfo, ErrorRecord, Result
from riveg_agent.serve.runner import Busy, ServeSettings, Service, UnknownSession

MAX_QUESTION_CHARS = 500


class TooLarge(RivegError):
    code = "request_too_large"


# -- request and response bodies ------------------------------------------
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GroundJSON(_Strict):
    text: str = Field(description=f"the post text (at most {MAX_TEXT_CHARS} characters)")
    image: Optional[str] = Field(default=None, description="the photo, base64 (JPEG, PNG, WebP…)")
    id: str = Field(default="post", description="the record id, echoed in the result")
    overlay: bool = Field(default=False, description="also return the boxes and masks drawn on the photo")
    masks: bool = Field(default=False, description="also return each entity's mask as a PNG")
    session: bool = Field(default=False, description="open a chat session about this post")


class GroundResponse(BaseModel):
    result: Result
    session_id: Optional[str] = Field(default=None, description="for /v1/chat, when session=true")
    overlay_png: Optional[str] = Field(default=None, description="base64 PNG, when overlay=true")
    masks_png: Optional[list[Optional[str]]] = Field(
        default=None, description="base64 PNG per entity (null without a mask), when masks=true")


class ChatRequest(_Strict):
    session_id: str
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)


class ChatResponse(BaseModel):
    session_id: str
    answer: str
    route: dict[str, Any]
    tool_calls: list[dict[str, Any]]
    entities: list[dict[str, Any]]
    boxes: dict[str, list[float]]
    masks: dict[str, dict[str, Any]] = Field(description="entity -> COCO RLE")
    overlays_png: list[str] = Field(description="base64 PNGs of the turn's boxes and masks")
    phrased_by: str
    seconds: float


class Health(BaseModel):
    status: Literal["ok", "ready", "loading", "failed"]
    config: Optional[str] = None
    error: Optional[str] = None


ERRORS = {code: {"model": ErrorRecord, "description": what} for code, what in (
    (404, "unknown or dropped chat session"), (413, "request body or image too large"),
    (422, "bad input"), (429, "queue full; see Retry-After"), (503, "the chain cannot run here"))}

GROUND_BODY = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["text"], "properties": {
        "image": {"type": "string", "format": "binary"}, "text": {"type": "string"},
        "id": {"type": "string"}, "overlay": {"type": "boolean"}, "masks": {"type": "boolean"},
        "session": {"type": "boolean"}}}},
    "application/json": {"schema": GroundJSON.model_json_schema()}}}}


# -- errors -----------------------------------------------------------------
def status_of(exc: Exception) -> int:
    if isinstance(exc, Busy):
        return 429
    if isinstance(exc, UnknownSession):
        return 404
    if isinstance(exc, TooLarge) or (isinstance(exc, InputError) and exc.code == "image_too_large"):
        return 413
    if isinstance(exc, FATAL):
        return 503
    return 422 if isinstance(exc, RivegError) else 500


def error_response(exc: Exception, record_id: str = "request") -> JSONResponse:
    status = status_of(exc)
    message = str(exc) if status != 500 else f"{type(exc).__name__}: {exc}"  # 500: a bug, never a traceback
    info = ErrorInfo(code=exc.code if status != 500 else "internal", message=" ".join(message.split()))
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Busy) else None
    body = ErrorRecord(id=getattr(exc, "record_id", None) or record_id, error=info)
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def one_line(exc: ValidationError | RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{where}: {err['msg']}" if where else err["msg"])
    return "; ".join(parts) or "invalid request"


class BodyLimit:
    """ASGI middleware: a /v1/ request body over `limit` bytes is a 413 before it is read
    (from Content-Length; a chunked body is counted while it arrives, never held beyond the limit)."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None:
            if not length.isdigit():
                return await error_response(InputError(None, "bad Content-Length header"))(scope, receive, send)
            if int(length) > self.limit:
                return await self._refuse(int(length), scope, receive, send)
            return await self.app(scope, receive, send)
        body, more = bytearray(), True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.limit:
                return await self._refuse(len(body), scope, receive, send, at_least=True)
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        return await self.app(scope, replay, send)

    async def _refuse(self, size: int, scope, receive, send, at_least: bool = False):
        exc = TooLarge(f"request body of {'more than ' if at_least else ''}{size} bytes is over the limit "
                       f"of {self.limit} bytes")
        await error_response(exc)(scope, receive, send)


def _flag(form, name: str) -> bool:
    raw = str(form.get(name, "false")).strip().lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off", ""):
        return False
    raise InputError(None, f"form field '{name}' must be true or false, not {raw[:20]!r}")


async def _ground_input(request: Request) -> tuple[str, Any, Any, dict[str, bool]]:
    """(id, text, image bytes or None, flags) from a form (multipart or url-encoded) or a JSON body."""
    ctype = request.headers.get("content-type", "")
    if ctype.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):  # curl -F / -d
        try:
            form = await request.form(max_files=1, max_fields=8)
        except HTTPException as exc:  # starlette's 400 for a malformed or over-full form
            raise InputError(None, f"bad multipart body: {exc.detail}") from None
        upload = form.get("image")
        image = None
        if upload is not None and not isinstance(upload, str):
            image = await upload.read()
        elif isinstance(upload, str) and upload:
            raise InputError(None, "form field 'image' must be a file upload (for base64 send JSON)")
        flags = {k: _flag(form, k) for k in ("overlay", "masks", "session")}
        return str(form.get("id", "post")), form.get("text"), image, flags
    if ctype.startswith("application/json"):
        try:
            body = GroundJSON.model_validate_json(await request.body())
        except ValidationError as exc:
            raise InputError(None, one_line(exc)) from None
        image = None
        if body.image is not None:
            try:
                image = base64.b64decode(body.image, validate=True)
            except (binascii.Error, ValueError):
                raise InputError(body.id, "'image' is not valid base64") from None
        return body.id, body.text, image, {"overlay": body.overlay, "masks": body.masks,
                                           "session": body.session}
    raise InputError(None, f"send multipart/form-data (or a url-encoded form) or application/json, "
                           f"not {ctype or 'no content type'!r}")


# -- the app ----------------------------------------------------------------
def create_app(settings: Optional[ServeSettings] = None, pipeline: Optional[Pipeline] = None,
               page: bool = True) -> FastAPI:
    """The ASGI app; `pipeline` is built from `settings.config` unless one is given (tests)."""
    settings = settings or ServeSettings()
    service = Service(pipeline or Pipeline(settings.config), settings)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI):
        service.start()
        yield
        service.close()

    app = FastAPI(title="riveg-agent", version=__version__, lifespan=lifespan,
                  description="Grounded multimodal NER on social-media posts: text + photo -> entities, "
                              "types, in-image decision, box, mask.")
    app.state.service = service
    app.add_middleware(BodyLimit, limit=settings.max_request_bytes)

    @app.exception_handler(RivegError)
    async def _riveg_error(_request, exc: RivegError):
        return error_response(exc)

    @app.exception_handler(Exception)
    async def _bug(_request, exc: Exception):
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request, exc: RequestValidationError):
        return error_response(InputError(None, one_line(exc)))

    @app.post("/v1/ground", response_model=GroundResponse, responses=ERRORS, openapi_extra=GROUND_BODY,
              summary="Ground the entities of one post (text + photo)")
    async def ground(request: Request):
        rid, text, image, flags = await _ground_input(request)
        out = await service.runner.run(lambda: service.ground(rid, text, image, **flags))
        return GroundResponse(result=out.result, session_id=out.session_id, overlay_png=out.overlay_png,
                              masks_png=out.masks_png)

    @app.post("/v1/chat", response_model=ChatResponse, responses=ERRORS,
              summary="Ask a question about a grounded post (session from /v1/ground with session=true)")
    async def chat(body: ChatRequest):
        service.sessions.get(body.session_id)  # 404 before queueing
        return await service.runner.run(service.sessions.ask, body.session_id, body.question)

    @app.get("/v1/plugins", summary="Registered plugins and the ones this server runs")
    async def plugins():
        def rows() -> dict:
            reg = service.pipeline.registry
            return {"config": service.pipeline.config.name,
                    "selected": {r: service.pipeline.plugin_name(r) for r in service.pipeline.config.roles},
                    "plugins": reg.describe(), "load_errors": [list(e) for e in reg.load_errors]}
        return await run_in_threadpool(rows)

    @app.get("/healthz", response_model=Health, summary="The process answers")
    async def healthz():
        return Health(status="ok")

    @app.get("/readyz", response_model=Health, responses={503: {"model": Health}},
             summary="The models are loaded (503 while loading or when loading failed)")
    async def readyz():
        name = service.pipeline.config.name
        if service.ready.is_set():
            return Health(status="ready", config=name)
        failed = service.warmup_error is not None
        return JSONResponse(Health(status="failed" if failed else "loading", config=name,
                                   error=service.warmup_error).model_dump(), status_code=503)

    if page:
        from riveg_agent.serve.page import mount_page
        mount_page(app, service)
    return app


def app_from_env() -> FastAPI:
    """uvicorn's factory for `riveg serve`: each worker process builds its own app and Pipeline."""
    return create_app(ServeSettings.from_env())
