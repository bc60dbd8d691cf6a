"""Short-lived JWTs for browser front ends: an API key exchanged for a token that expires.

A front end should not hold a long-lived key. Its backend posts the key to `POST /auth/token`
and hands the browser the token, which the API accepts as `Authorization: Bearer <token>`
until it expires. Tokens are HS256 (pinned: the algorithm is never read from the token),
signed with TOWNSQUARE_JWT_SECRET, and must carry `exp`, `aud`, `iss` and `sub` (the key's
id). Every request still looks the key up, so revoking the key ends its tokens at once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from domain.errors import Unauthenticated
from domain.keys import KEY_PREFIX
from domain.services.organizations import Principal
from domain.timeutil import utcnow

SECRET_VARIABLE = "TOWNSQUARE_JWT_SECRET"
TTL_VARIABLE = "TOWNSQUARE_JWT_TTL_SECONDS"
ALGORITHM = "HS256"
AUDIENCE = "townsquare-api"
ISSUER = "townsquare"
REQUIRED_CLAIMS = ["exp", "iat", "aud", "iss", "sub"]
DEFAULT_TTL = timedelta(minutes=15)
MAX_TTL = timedelta(hours=1)
# RFC 7518 3.2: an HS256 key must be at least as long as the hash, 256 bits.
MIN_SECRET_BYTES = 32


@dataclass(frozen=True)
class TokenIssuer:
    """Makes and checks the tokens of one deployment."""

    secret: str
    ttl: timedelta = DEFAULT_TTL

    def __post_init__(self) -> None:
        if len(self.secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"{SECRET_VARIABLE} must be at least {MIN_SECRET_BYTES} bytes")
        if not timedelta(seconds=1) <= self.ttl <= MAX_TTL:
            raise ValueError(f"{TTL_VARIABLE} must be between 1 and {int(MAX_TTL.seconds)} s")

    @classmethod
    def from_env(cls) -> TokenIssuer | None:
        """The issuer TOWNSQUARE_JWT_SECRET configures, or None: token exchange is off."""
        secret = os.environ.get(SECRET_VARIABLE, "")
        if not secret:
            return None
        ttl = os.environ.get(TTL_VARIABLE, "").strip()
        return cls(secret, timedelta(seconds=int(ttl)) if ttl else DEFAULT_TTL)

    def issue(self, principal: Principal, now: datetime | None = None) -> str:
        issued = now or utcnow()
        claims = {
            "sub": str(principal.key_id),
            "org": principal.organization_id,
            "aud": AUDIENCE,
            "iss": ISSUER,
            "iat": issued,
            "exp": issued + self.ttl,
        }
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM)

    def key_id(self, token: str) -> int:
        """The id of the key a valid token was made from; any fault is one refusal."""
        return self.verify(token).key_id

    def verify(self, token: str) -> VerifiedToken:
        """The key a valid token was made from and when the token ends; any fault is one
        refusal."""
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError as error:
            raise Unauthenticated(
                "the token has expired; exchange the key for a new one"
            ) from error
        except jwt.InvalidTokenError as error:
            raise Unauthenticated("the token is invalid") from error
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject.isdigit():
            raise Unauthenticated("the token is invalid")
        return VerifiedToken(int(subject), datetime.fromtimestamp(claims["exp"], UTC))


@dataclass(frozen=True)
class VerifiedToken:
    """What a valid token says: the key it stands for, and when it stops standing for it."""

    key_id: int
    expires_at: datetime


def is_token(credential: str) -> bool:
    """A JWT (three dot-separated parts) rather than an API key."""
    return not credential.startswith(KEY_PREFIX) and credential.count(".") == 2
