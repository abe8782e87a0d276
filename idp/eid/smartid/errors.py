"""Refusals of a Smart-ID login: ``SmartIdError(reason)`` with et + en texts.

Anti-enumeration (SK "Session status": 404 = no account; show one message for all): no text
says whether a Smart-ID account exists. Starting a session for a code without a usable account
(404, 471, 472) and a ``DOCUMENT_UNUSABLE`` end result share one message.
"""

from __future__ import annotations

from typing import ClassVar

from ..errors import CERTIFICATE_MESSAGES, EidError, Messages

_NOT_POSSIBLE = (("Smart-ID sisselogimine ei õnnestunud. Kontrolli isikukoodi ja vaata Smart-ID "
                 "rakendust. Kui probleem kordub, pöördu Smart-ID klienditoe poole."),
                 ("Smart-ID login did not succeed. Check the personal code and look at your "
                 "Smart-ID app. If this keeps happening, contact Smart-ID support."))
_TRY_AGAIN = ("Smart-ID sisselogimisel tekkis viga. Palun proovi uuesti.",
              "Something went wrong with the Smart-ID login. Please try again.")
_RESPONSE_INVALID = ("Smart-ID vastust ei õnnestunud kontrollida. Palun proovi uuesti.",
                     "The Smart-ID response could not be verified. Please try again.")

SMARTID_MESSAGES: Messages = {
    **{reason: _RESPONSE_INVALID for reason in CERTIFICATE_MESSAGES},
    "unsupported_identity": CERTIFICATE_MESSAGES["unsupported_identity"],
    "cert_expired": ("Smart-ID konto sertifikaat on aegunud. Uuenda kontot Smart-ID rakenduses.",
                     ("The Smart-ID account certificate has expired. Renew the account in the "
                     "Smart-ID app.")),
    "revoked": ("Smart-ID konto sertifikaat on peatatud või tühistatud.",
                "The Smart-ID account certificate has been suspended or revoked."),
    "invalid_personal_code": ("Isikukood ei ole korrektne. Kontrolli numbreid.",
                              ("This is not a valid personal identification code. Please check "
                              "the digits.")),
    "account_unusable": _NOT_POSSIBLE,            # HTTP 404 / 471 / 472 when starting
    "document_unusable": _NOT_POSSIBLE,           # endResult DOCUMENT_UNUSABLE
    "user_refused": ("Sisselogimine katkestati Smart-ID rakenduses.",
                     "The login was cancelled in the Smart-ID app."),
    "timeout": ("Sisselogimist ei kinnitatud Smart-ID rakenduses õigel ajal. Palun proovi uuesti.",
                "The login was not confirmed in the Smart-ID app in time. Please try again."),
    "wrong_vc": (("Smart-ID rakenduses valiti vale kontrollkood. Proovi uuesti ja vali sama kood, "
                 "mis on siin ekraanil."),
                 ("The wrong verification code was chosen in the Smart-ID app. Try again and "
                 "choose the code shown on this screen.")),
    "app_update_needed": ("Smart-ID rakendus vajab uuendamist. Uuenda rakendus ja proovi uuesti.",
                          "The Smart-ID app needs an update. Update the app and try again."),
    "protocol_failure": _TRY_AGAIN,
    "expected_linked_session": _TRY_AGAIN,
    "server_error": _TRY_AGAIN,
    "session_not_found": ("Smart-ID sisselogimine aegus. Palun alusta uuesti.",
                          "The Smart-ID login expired. Please start again."),
    "service_unavailable": (("Smart-ID teenus ei ole praegu kättesaadav. Proovi mõne aja pärast "
                            "uuesti."),
                            ("The Smart-ID service is not available right now. Please try again "
                            "in a while.")),
    "configuration": (("Smart-ID sisselogimine ei ole praegu võimalik. Palun anna sellest koolile "
                      "teada."),
                      "Smart-ID login is not available right now. Please let the school know."),
    "level_too_low": ("Selle Smart-ID kontoga (Smart-ID Basic) ei saa siin sisse logida.",
                      "This Smart-ID account (Smart-ID Basic) cannot be used to log in here."),
    "unexpected_flow": _RESPONSE_INVALID,
    "callback_invalid": ("See tagasipöördumise link ei kehti. Palun alusta sisselogimist uuesti.",
                         "This return link is not valid. Please start the login again."),
}

# RP API v3 "Session status": result.endResult → reason (OK is not a refusal)
END_RESULTS = {
    "USER_REFUSED": "user_refused",
    "USER_REFUSED_CERT_CHOICE": "user_refused",
    "USER_REFUSED_INTERACTION": "user_refused",
    "TIMEOUT": "timeout",
    "DOCUMENT_UNUSABLE": "document_unusable",
    "ACCOUNT_UNUSABLE": "document_unusable",
    "WRONG_VC": "wrong_vc",
    "REQUIRED_INTERACTION_NOT_SUPPORTED_BY_APP": "app_update_needed",
    "PROTOCOL_FAILURE": "protocol_failure",
    "EXPECTED_LINKED_SESSION": "expected_linked_session",
    "SERVER_ERROR": "server_error",
}


class SmartIdError(EidError):
    """A Smart-ID login was refused or could not be completed; see ``SMARTID_MESSAGES`` for
    the reasons."""

    MESSAGES: ClassVar[Messages] = SMARTID_MESSAGES
