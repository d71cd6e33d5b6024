"""Request dependencies shared by every router (Annotated, as the FastAPI template does).

Every route but the token endpoint, the docs and the public pages needs a `Caller`: the user
behind a bearer token or an `X-API-Key`, resolved to a principal (grants + the policy).
"""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from backend.audit.writer import Actor
from backend.core.config import Settings
from backend.core.crud import Caller
from backend.core.db import Database
from backend.core.errors import ProblemError
from rbac.scope import Principal

bearer_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False)


# Plain reads of app.state: async, so FastAPI does not send each to the threadpool (about
# 1 ms a request on SQLite, benchmarks/RESULTS.md).
async def get_db(request: Request) -> Database:
    return request.app.state.db


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A Session per request, made on the event loop: it does no I/O until the route's first
    query. A sync dependency would cost two threadpool hops (enter and exit) per request.
    Closing it returns its connection to the pool, which talks to the database (a ROLLBACK):
    that goes to the threadpool, unless the route released the connection itself."""
    session = request.app.state.db.session()
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


DatabaseDep = Annotated[Database, Depends(get_db)]
SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def _unauthorized(detail: str = "请先登录 (Bearer 令牌或 X-API-Key)") -> ProblemError:
    return ProblemError(401, detail, headers={"WWW-Authenticate": "Bearer"})


async def get_principal(
    request: Request,
    token: Annotated[str | None, Security(bearer_scheme)],
    api_key: Annotated[str | None, Security(api_key_scheme)],
) -> Principal:
    """On the event loop: a cache hit needs no thread and no query; a miss asks the database
    in the threadpool."""
    principals = request.app.state.principals
    if api_key:
        found = principals.cached_for_key, principals.load_for_key, "API 密钥无效或已吊销"
    elif token:
        found = principals.cached_for_token, principals.load_for_token, "令牌无效或已过期"
    else:
        raise _unauthorized()
    cached, load, refusal = found
    credential = api_key or token
    known, principal = cached(credential)
    if not known:
        principal = await run_in_threadpool(load, credential)
    if principal is None:
        raise _unauthorized(refusal)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


async def get_caller(request: Request, principal: CurrentPrincipal) -> Caller:
    client = request.client.host if request.client else None
    return Caller(principal, Actor(principal.username, request.state.request_id, client))


CurrentCaller = Annotated[Caller, Depends(get_caller)]
