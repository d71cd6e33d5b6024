"""Who is calling: a bearer token or an API key resolved to a principal, cached per process.

Resolving means a JWT check plus, on a miss, a user and role lookup. The cache is emptied
whenever the policy generation moves, and every change that could alter the answer (roles,
rules, a password, an account disabled, an API key created or revoked) moves it: in this
process at once, in the others through Redis or their poll.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass

from sqlalchemy import select, update

from backend.core.db import Database, utcnow
from backend.identity import security
from backend.identity.models import ApiKey, User
from backend.identity.service import load_principal
from rbac.enforcer import PolicyEngine
from rbac.scope import Principal

LAST_USED_EVERY = dt.timedelta(minutes=5)
MAX_REMEMBERED_TOKENS = 10_000


@dataclass
class _CachedUser:
    stamp: str
    principal: Principal


@dataclass
class _CachedKey:
    secret_hash: str
    principal: Principal
    key_id: int
    last_used_at: dt.datetime | None


class PrincipalCache:
    def __init__(self, engine: PolicyEngine, database: Database, secret_key: str) -> None:
        self.engine = engine
        self.database = database
        self.secret_key = secret_key
        self._users: dict[int, _CachedUser] = {}
        self._keys: dict[str, _CachedKey] = {}
        self._tokens: dict[str, security.TokenClaims] = {}
        self._lock = threading.Lock()
        engine.on_reload(self.clear)

    def clear(self) -> None:
        with self._lock:
            self._users, self._keys, self._tokens = {}, {}, {}

    # --- bearer tokens ---------------------------------------------------------------------

    def _access_claims(self, token: str) -> security.TokenClaims | None:
        """A token's verified claims, remembered until it expires: checking the signature of
        the same token on every request costs about as much as a fast page's SQL (~0.1 ms)."""
        known = self._tokens.get(token)
        if known is not None and time.time() < known.expires:  # what PyJWT checks of `exp`
            return known
        claims = security.read_token(self.secret_key, token, "access")
        if claims is not None:
            if len(self._tokens) >= MAX_REMEMBERED_TOKENS:
                self._tokens = {}
            self._tokens[token] = claims
        return claims

    def cached_for_token(self, token: str) -> tuple[bool, Principal | None]:
        """(known, principal): known is False when the database must be asked."""
        claims = self._access_claims(token)
        if claims is None:
            return True, None
        return self.cached_for_user(claims.user_id, claims.stamp)

    def load_for_token(self, token: str) -> Principal | None:
        claims = self._access_claims(token)
        if claims is None:
            return None
        return self.load_for_user(claims.user_id, claims.stamp)

    # --- panel sessions (a signed cookie holding the user id and account stamp) --------------

    def cached_for_user(self, user_id: int, stamp: str) -> tuple[bool, Principal | None]:
        cached = self._users.get(user_id)
        if cached is None:
            return False, None
        return True, cached.principal if cached.stamp == stamp else None

    def load_for_user(self, user_id: int, stamp: str) -> Principal | None:
        with self.database.session() as session:
            user = session.get(User, user_id)
            if user is None or not user.is_active:
                return None
            entry = _CachedUser(security.account_stamp(user.password_hash, user.is_active),
                                load_principal(session, self.engine, user))
        with self._lock:
            self._users[user_id] = entry
        return entry.principal if entry.stamp == stamp else None

    # --- API keys --------------------------------------------------------------------------

    def cached_for_key(self, key: str) -> tuple[bool, Principal | None]:
        parts = security.split_api_key(key)
        if parts is None:
            return True, None
        prefix, secret = parts
        cached = self._keys.get(prefix)
        if cached is None:
            return False, None
        if not security.secret_matches(secret, cached.secret_hash):
            return True, None
        if cached.last_used_at is None or utcnow() - cached.last_used_at > LAST_USED_EVERY:
            return False, None  # time to record the use: take the slow path once
        return True, cached.principal

    def load_for_key(self, key: str) -> Principal | None:
        parts = security.split_api_key(key)
        if parts is None:
            return None
        prefix, secret = parts
        with self.database.session() as session:
            api_key = session.execute(
                select(ApiKey).where(ApiKey.prefix == prefix)).scalar_one_or_none()
            if api_key is None or api_key.revoked_at is not None:
                return None
            if not security.secret_matches(secret, api_key.secret_hash):
                return None
            user = session.get(User, api_key.user_id)
            if user is None or not user.is_active:
                return None
            now = utcnow()
            # Recorded at most every few minutes: a partner polling its queue is no write storm.
            session.execute(update(ApiKey).where(ApiKey.id == api_key.id)
                            .values(last_used_at=now))
            session.commit()
            entry = _CachedKey(api_key.secret_hash, load_principal(session, self.engine, user),
                               api_key.id, now)
        with self._lock:
            self._keys[prefix] = entry
        return entry.principal
