"""Smart-ID login through SK's RP API v3 (``client``), plus a local stand-in of that API for
development and tests (``standin``, clearly not SK's service)."""

from .client import SmartIdClient, SmartIdConfig
from .errors import SmartIdError
from .protocol import confirmation_message, display_text_and_pin, verification_code
from .session import AuthSession

__all__ = ["AuthSession", "SmartIdClient", "SmartIdConfig", "SmartIdError",
           "confirmation_message", "display_text_and_pin", "verification_code"]
