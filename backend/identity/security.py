"""Passwords (argon2), access and refresh tokens (JWT), API-key secrets (SHA-256)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from backend.core.db import utcnow

ACCESS_TOKEN_MINUTES = 15
REFRESH_TOKEN_DAYS = 7
ALGORITHM = "HS256"
_hasher = PasswordHasher()
# Verified against when the username is unknown, so that a miss costs as much as a hit.
_DUMMY_HASH = _hasher.hash("gridlink-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    kind: str  # "access" | "refresh"
    stamp: str  # changes when the password changes or the account is disabled
    expires: float = 0.0  # exp, as a POSIX timestamp
    jti: str = ""  # the token's own id
    family: int | None = None  # refresh tokens: the login they belong to (refresh_family.id)


def account_stamp(password_hash: str, is_active: bool) -> str:
    """Tokens carry this; a new password or a disabled account makes old tokens useless."""
    return hashlib.sha256(f"{password_hash}|{is_active}".encode()).hexdigest()[:16]


def new_jti() -> str:
    return secrets.token_hex(16)


def issue_token(secret: str, user_id: int, kind: str, stamp: str, lifetime: dt.timedelta,
                *, jti: str | None = None, family: int | None = None) -> str:
    now = utcnow()
    claims = {"sub": str(user_id), "typ": kind, "stp": stamp, "iat": now, "exp": now + lifetime,
              "jti": jti or new_jti()}
    if family is not None:
        claims["fam"] = family
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(secret: str, token: str, kind: str) -> TokenClaims | None:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM],
                            options={"require": ["exp", "sub", "typ"]})
    except jwt.PyJWTError:
        return None
    if claims.get("typ") != kind or not str(claims.get("sub", "")).isdigit():
        return None
    family = claims.get("fam")
    return TokenClaims(int(claims["sub"]), kind, str(claims.get("stp", "")), float(claims["exp"]),
                       str(claims.get("jti", "")), family if isinstance(family, int) else None)


API_KEY_PREFIX = "glk"


def new_api_key() -> tuple[str, str, str]:
    """(the key shown once, its lookup prefix, the hash kept)."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return f"{API_KEY_PREFIX}_{prefix}_{secret}", prefix, hash_secret(secret)


def hash_secret(secret: str) -> str:
    # A random 256-bit secret needs no slow hash: SHA-256 cannot be brute-forced back.
    return hashlib.sha256(secret.encode()).hexdigest()


def split_api_key(key: str) -> tuple[str, str] | None:
    parts = key.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        return None
    return parts[1], parts[2]


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)
