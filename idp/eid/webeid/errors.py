"""Refusals of a Web eID (ID-card) login: ``WebEidError(reason)`` with et + en texts."""

from __future__ import annotations

from typing import ClassVar

from ..errors import CERTIFICATE_MESSAGES, EidError, Messages

WEBEID_MESSAGES: Messages = {
    **CERTIFICATE_MESSAGES,
    "malformed": ("ID-kaardi vastus oli vigane. Proovi uuesti.",
                  "The ID-card response was malformed. Please try again."),
    "origin_mismatch": ("Sisselogimine algas teiselt veebilehelt. Ava sisselogimise leht uuesti.",
                        "The login was started from another website. Open the login page again."),
    "nonce_invalid": (("Sisselogimise katse on aegunud või juba kasutatud. Laadi leht uuesti ja "
                      "proovi uuesti."),
                      ("This login attempt has expired or was already used. Reload the page and "
                      "try again.")),
    "nonce_expired": ("Sisselogimiseks antud aeg sai otsa. Laadi leht uuesti ja proovi uuesti.",
                      "The time for logging in ran out. Reload the page and try again."),
    "cert_expired": ("ID-kaardi sertifikaat on aegunud.", "The ID-card certificate has expired."),
    "cert_not_yet_valid": ("ID-kaardi sertifikaat ei kehti veel.",
                           "The ID-card certificate is not valid yet."),
    "wrong_purpose": (("See sertifikaat ei sobi sisselogimiseks. Kasuta isikutuvastamise (PIN1) "
                      "sertifikaati."),
                      ("This certificate cannot be used for logging in. Use the authentication "
                      "(PIN1) certificate.")),
    "untrusted_chain": (("Selle kaardi väljastajat ei tunta. Sisse saab logida Eesti ID-kaardi, "
                        "digi-ID või elamisloakaardiga."),
                        ("The issuer of this card is not recognised. Log in with an Estonian "
                        "ID-card, digi-ID or residence permit card.")),
    "bad_signature": ("ID-kaardi allkirja ei õnnestunud kontrollida. Proovi uuesti.",
                      "The ID-card signature could not be verified. Please try again."),
    "revoked": ("ID-kaardi sertifikaat on peatatud või tühistatud.",
                "The ID-card certificate has been suspended or revoked."),
}


class WebEidError(EidError):
    """A Web eID authentication token was refused. Reasons: ``malformed``, ``origin_mismatch``,
    ``nonce_invalid``, ``nonce_expired``, ``cert_expired``, ``cert_not_yet_valid``,
    ``wrong_purpose``, ``untrusted_chain``, ``disallowed_policy``, ``bad_signature``, ``revoked``,
    ``cert_unknown``, ``ocsp_unavailable``, ``unsupported_identity``."""

    MESSAGES: ClassVar[Messages] = WEBEID_MESSAGES
