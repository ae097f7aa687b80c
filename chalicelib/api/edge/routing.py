"""The route decorator, and the route table it fills: every operation of the contract, with
what `chalicelib.api.contract` needs to document it."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, NamedTuple

from chalice.app import Blueprint, Request, Response
from pydantic import BaseModel

from chalicelib.api.edge import replay as replays
from chalicelib.api.edge.callers import authorise
from chalicelib.api.edge.calls import Call, Reply
from chalicelib.api.edge.media import READABLE, accepts, json_response, prefers
from chalicelib.api.edge.problems import failure, problem
from chalicelib.core.errors import DhnError, NotAcceptable

if TYPE_CHECKING:
    from chalicelib.domain.roles import Role

Handler = Callable[[Call], Any]

# The request being served by this thread. Chalice keeps the current request on the app
# object, which `chalice local` shares between the threads that serve requests in parallel:
# a handler reading it there could see another caller's token and body.
_serving: ContextVar[Request | None] = ContextVar("serving", default=None)


class Route(NamedTuple):
    """One operation: how it is called, who may call it, and what it reads and answers. (A
    named tuple: a dataclass of this many fields costs the cold start half a millisecond.)"""

    method: str
    # As the blueprint names it, without the app's `/v1` prefix.
    path: str
    handler: Handler
    roles: frozenset[Role] | None
    status: int
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    # The name of the answer's model in the blueprint's module of `chalicelib.api.answers`.
    answer: str | None
    idempotent: bool
    binary: str | None
    text: str | None
    # Error statuses the route's own rules answer, beyond those the edge gives any such route.
    errors: frozenset[int]
    # A media type the route answers instead of its JSON to a caller who prefers it.
    alternative: str | None = None

    @property
    def blueprint(self) -> str:
        """The module of the blueprint, where the handler is defined."""
        return self.handler.__module__

    @property
    def answers(self) -> str:
        """The module that holds the models of the blueprint's answers."""
        return self.blueprint.replace(".api.", ".api.answers.", 1)

    @property
    def summary(self) -> str:
        return (inspect.getdoc(self.handler) or "").partition("\n\n")[0].replace("\n", " ")

    @property
    def description(self) -> str:
        return (inspect.getdoc(self.handler) or "").partition("\n\n")[2]


# Filled as the blueprints are imported, which `app` does for every one of them.
ROUTES: list[Route] = []


def _as_reply(result: Any, status: int) -> Reply:
    return result if isinstance(result, Reply) else Reply(result, status)


def serving(request: Request, get_response: Callable[[Request], Response]) -> Response:
    """Answer `request` with the handlers reading this very request (HTTP middleware)."""
    token = _serving.set(request)
    try:
        return get_response(request)
    finally:
        _serving.reset(token)


def route(
    bp: Blueprint,
    path: str,
    *,
    method: str = "GET",
    roles: frozenset[Role] | None,
    status: int = 200,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    answer: str | None = None,
    idempotent: bool = False,
    replay: replays.Replay | None = None,
    replay_first: bool = False,
    binary: str | None = None,
    text: str | None = None,
    errors: tuple[int, ...] = (),
    alternative: str | None = None,
) -> Callable[[Handler], Handler]:
    """Register `handler` on `bp` and in the route table. `roles=None` makes the route public.
    `body` and `query` are the models the handler reads (`call.body(...)`, `call.args(...)`),
    `answer` names the model of the JSON it answers with `status`, in the blueprint's module of
    `chalicelib.api.answers` (by name: answers are described for the contract only, and
    importing them would cost every cold start). A handler returns a JSON-able
    value, a `Reply`, or a chalice `Response` for other media: `binary` names the media type
    of a binary answer, which the caller must accept (406), `text` that of a text answer.
    `replay` makes a creating route idempotent with its key's record committed in the
    transaction that makes its object (see `chalicelib.api.edge.replay`), and
    `replay_first` looks its key up before the handler runs, for a step that journals before
    its transaction; `idempotent`
    records the answer of any other route with a key around its handler.
    `errors` are the statuses its rules answer (404, 409…) beyond those the edge adds (401
    and 403 to a route with roles, 422 to one that reads input…: see the contract).
    `alternative` names a media type the handler answers instead of JSON when the caller
    prefers it (`call.media` is then that type; `media.prefers` says when).
    The handler's docstring is the operation's summary, then its description."""

    def register(handler: Handler) -> Handler:
        ROUTES.append(
            Route(
                method,
                path,
                handler,
                roles,
                status,
                body,
                query,
                answer,
                idempotent or replay is not None,
                binary,
                text,
                frozenset(errors),
                alternative,
            )
        )

        @functools.wraps(handler)
        def view(**params: str) -> Response:
            request = _serving.get() or bp.current_request
            try:
                caller = authorise(request, roles)
                if binary and not accepts(request, binary):
                    raise NotAcceptable(f"this answer is {binary}: send Accept: {binary}")
                raw = request.raw_body or b""
                call = Call(
                    caller,
                    params,
                    request.query_params or {},
                    raw if isinstance(raw, bytes) else raw.encode(),
                    body,
                    query,
                    media=alternative if alternative and prefers(request, alternative) else None,
                )

                if replay is not None:
                    reply = replays.made_once(
                        request,
                        caller,
                        call,
                        lambda keyed: _as_reply(handler(keyed), status),
                        replay,
                        status,
                        first=replay_first,
                    )
                elif idempotent:
                    reply = replays.once(
                        request, caller, call, lambda: _as_reply(handler(call), status), bp.lambda_context
                    )
                else:
                    result = handler(call)
                    if isinstance(result, Response):
                        return result
                    reply = _as_reply(result, status)
                if reply.status == 204:
                    return Response("", headers=reply.headers, status_code=204)
                return json_response(reply.body, reply.status, reply.headers)
            except DhnError as err:
                return problem(err)
            except Exception as exc:
                return failure(exc)

        bp.route(path, methods=[method], content_types=READABLE)(view)
        return handler

    return register
