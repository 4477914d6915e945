"""Who may ask: API keys kept only as hashes, and JWTs from a site's identity provider.

A credential names a principal, its roles and, for an officer, the customer organizations it
acts for. Roles (least privilege; a credential may hold several):

* ``officer``: transfer decisions and queries, for its customers only (``*``: every customer);
* ``lawyer``: rules, clauses, scenarios, what-if decisions and queries;
* ``auditor``: the decision log, its reports and audit questions;
* ``admin``: reload, credentials.

**API keys** (``pe_<id>_<secret>``, 256 random bits) are shown once when created; the store
(:class:`CredentialStore`, a JSON file created 0600) keeps the SHA-256 of the secret only, as
GitHub keeps its tokens: a high-entropy secret needs no slow hash. Revoking marks the key; it
stops working at the next request (the store is re-read when its file changes). A store given
``recheck_seconds`` above 0 (the service's ``POLICYEVAL_CREDENTIALS_RECHECK_SECONDS``; 0 unless
set) looks at its file at most that often when it authenticates, so a key revoked by another
process (the CLI, another worker) stops working within that time; one revoked through the store
itself stops at once, and a key it does not know makes it look at once (a new key works at once).

**JWTs** are verified with PyJWT against a configured JSON Web Key Set (a file: these networks
have no outside access), issuer and audience; the subject is the principal, the ``roles`` and
``customers`` claims its roles and customers. ``none`` and symmetric algorithms are refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import jwt
from pydantic import BaseModel, Field

from policyeval.errors import PolicyError

__all__ = [
    "ALL_CUSTOMERS",
    "ROLES",
    "AuthenticationError",
    "CredentialStore",
    "JwtVerifier",
    "KeyRecord",
    "Principal",
    "Role",
]

Role = Literal["officer", "lawyer", "auditor", "admin"]
ROLES: tuple[Role, ...] = ("officer", "lawyer", "auditor", "admin")
ALL_CUSTOMERS = "*"
"""An officer credential for every customer organization."""

_PREFIX = "pe_"
_ASYMMETRIC = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"]


class AuthenticationError(PolicyError):
    """A credential is missing, malformed, unknown, revoked or expired (HTTP 401)."""

    code = "unauthenticated"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who asks: the name recorded in the decision log, roles, and an officer's customers."""

    name: str
    roles: frozenset[Role]
    customers: frozenset[str] = frozenset()
    via: str = "api_key"

    def may_act_for(self, customer: str) -> bool:
        """Whether an officer's credential covers ``customer``."""
        return ALL_CUSTOMERS in self.customers or customer in self.customers


class KeyRecord(BaseModel):
    """One API key as stored: never the secret itself."""

    id: str
    name: str
    roles: list[Role]
    customers: list[str] = Field(default_factory=list)
    sha256: str
    created: dt.datetime
    revoked: dt.datetime | None = None

    def principal(self) -> Principal:
        return Principal(self.name, frozenset(self.roles), frozenset(self.customers))


class _Keys(BaseModel):
    version: Literal[1] = 1
    keys: list[KeyRecord] = Field(default_factory=list)


class CredentialStore:
    """API keys in a JSON file (0600), re-read whenever the file changes.

    Authenticating looks at the file (a ``stat``, on the service's event loop) at most once
    per ``recheck_seconds`` of ``clock`` (0: every time), and whenever the key is unknown or
    the store itself wrote the file; creating, revoking and listing always look.
    """

    def __init__(
        self,
        path: Path,
        *,
        recheck_seconds: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self.recheck_seconds = recheck_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._seen: tuple[int, int] | None = None
        self._looked = -float("inf")
        self._keys = _Keys()

    def create(
        self, name: str, roles: Iterable[Role], customers: Iterable[str] = ()
    ) -> tuple[KeyRecord, str]:
        """A new key; returns its record and the token, which is shown once and kept nowhere."""
        wanted = sorted(set(roles))
        if not wanted:
            raise PolicyError("a credential needs at least one role")
        if "officer" in wanted and not list(customers):
            raise PolicyError("an officer credential names its customers (`*` for all)")
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        record = KeyRecord(
            id=key_id,
            name=name,
            roles=wanted,
            customers=sorted(set(customers)),
            sha256=_digest(secret),
            created=dt.datetime.now(dt.UTC),
        )
        with self._lock:
            keys = self._read()
            keys.keys.append(record)
            self._write(keys)
        return record, f"{_PREFIX}{key_id}_{secret}"

    def revoke(self, key_id: str) -> KeyRecord:
        """Mark a key revoked; raises `PolicyError` for an unknown id."""
        with self._lock:
            keys = self._read()
            for record in keys.keys:
                if record.id == key_id:
                    record.revoked = record.revoked or dt.datetime.now(dt.UTC)
                    self._write(keys)
                    return record
        raise PolicyError(f"no credential `{key_id}`")

    def list(self) -> list[KeyRecord]:
        with self._lock:
            return list(self._read().keys)

    def has_admin(self) -> bool:
        """Whether some key that is not revoked has the admin role."""
        return any("admin" in k.roles and k.revoked is None for k in self.list())

    def authenticate(self, token: str) -> Principal:
        """The principal of an API key; raises `AuthenticationError`."""
        key_id, _, secret = token.removeprefix(_PREFIX).partition("_")
        if not token.startswith(_PREFIX) or not key_id or not secret:
            raise AuthenticationError("not an API key of this service")
        record = self._record(key_id)
        if record is None or not hmac.compare_digest(record.sha256, _digest(secret)):
            raise AuthenticationError("unknown API key")
        if record.revoked is not None:
            raise AuthenticationError(f"API key `{key_id}` was revoked")
        return record.principal()

    @staticmethod
    def key_id(token: str) -> str:
        """The id part of an API key (``pe_<id>_<secret>``); not a check of the key.

        >>> CredentialStore.key_id("pe_0a1b2c_secret")
        '0a1b2c'
        """
        return token.removeprefix(_PREFIX).partition("_")[0]

    def principal_of(self, key_id: str) -> Principal:
        """The principal of the key ``key_id`` as the store says now (a browser session names
        its key by id); raises `AuthenticationError` for an unknown or revoked key."""
        record = self._record(key_id)
        if record is None:
            raise AuthenticationError(f"unknown API key `{key_id[:20]}`")
        if record.revoked is not None:
            raise AuthenticationError(f"API key `{key_id}` was revoked")
        return record.principal()

    def _record(self, key_id: str) -> KeyRecord | None:
        """The record of ``key_id``, the file looked at as ``recheck_seconds`` allows."""
        with self._lock:
            now = self.clock()
            due = self._seen is None or now - self._looked >= self.recheck_seconds
            keys = self._read() if due else self._keys
            record = next((k for k in keys.keys if k.id == key_id), None)
            if record is None and not due:  # perhaps created since: look now
                record = next((k for k in self._read().keys if k.id == key_id), None)
        return record

    def _read(self) -> _Keys:
        """The keys on disk, re-parsed only when the file changed."""
        self._looked = self.clock()
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._seen, self._keys = None, _Keys()
            return self._keys
        seen = (stat.st_mtime_ns, stat.st_size)
        if seen != self._seen:
            self._keys = _Keys.model_validate_json(self.path.read_bytes())
            self._seen = seen
        return self._keys

    def _write(self, keys: _Keys) -> None:
        """Replace the file atomically, readable by its owner only."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = self.path.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(keys.model_dump_json(indent=2))
        os.replace(temporary, self.path)
        self._seen = None


class JwtVerifier:
    """Verifies JWTs against a JSON Web Key Set file, an issuer and an audience."""

    def __init__(self, jwks: Path, issuer: str, audience: str) -> None:
        self.keys = jwt.PyJWKSet.from_json(jwks.read_text(encoding="utf-8"))
        self.issuer = issuer
        self.audience = audience

    def authenticate(self, token: str) -> Principal:
        """The principal a valid token names; raises `AuthenticationError`."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = next((k for k in self.keys.keys if kid is None or k.key_id == kid), None)
            if key is None:
                raise AuthenticationError("the token's key is not in the configured key set")
            claims = jwt.decode(
                token,
                key=key,
                algorithms=_ASYMMETRIC,
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "sub", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise AuthenticationError(f"invalid token: {exc}") from exc
        roles = frozenset(r for r in claims.get("roles", []) if r in ROLES)
        customers = frozenset(str(c) for c in claims.get("customers", []))
        return Principal(str(claims["sub"]), roles, customers, via="jwt")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
