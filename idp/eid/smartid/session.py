"""What the IdP keeps server-side between starting a Smart-ID login and its result.

``sessionSecret`` is a key (RP API v3: "must not be shared with any other party, including the
RP frontend"), so an ``AuthSession`` belongs in a server-side store, never in a signed cookie.
``to_dict``/``from_dict`` give a JSON-able form for such a store, e.g. a table::

    eid_pending(id TEXT PRIMARY KEY, binding TEXT NOT NULL, data JSON NOT NULL,
                expires_at TIMESTAMPTZ NOT NULL)

keyed by a random id the browser's login session holds (``binding`` = that session), deleted
when the result is taken (success or refusal) and swept after ``expires_at``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass
class AuthSession:
    """One Smart-ID authentication session. ``kind`` is ``device_link`` or ``notification``.

    * ``rp_challenge``, ``interactions``: exactly as sent (the hashes use the strings as is).
    * ``verification_code``: notification only; show it to the person.
    * ``session_token``, ``session_secret``, ``device_link_base``: device link only.
    * ``initial_callback_url``: the Web2App return URL sent, '' when only QR is offered.
    * ``personal_code``: the isikukood the session was started for, if any; the result must
      name the same person.
    * ``user_challenge_verifier``: set by ``SmartIdClient.accept_callback`` (Web2App).
    """

    kind: str
    session_id: str
    rp_challenge: str
    interactions: str
    created_at: dt.datetime
    verification_code: str | None = None
    session_token: str | None = None
    session_secret: str | None = None
    device_link_base: str | None = None
    initial_callback_url: str = ""
    personal_code: str | None = None
    user_challenge_verifier: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuthSession:
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        values["created_at"] = dt.datetime.fromisoformat(data["created_at"])
        return cls(**values)
