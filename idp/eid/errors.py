"""Errors of the eID libraries: one root, one ``reason`` per refusal, user-safe texts in et + en.

``reason`` is a stable machine code (log it, count it, test it). ``message(lang)`` is the text a
person may see: it never says more than they need (no certificate dumps, no "account not found").
``detail`` is for the logs only.
"""

from __future__ import annotations

from typing import ClassVar

Messages = dict[str, tuple[str, str]]  # reason -> (Estonian, English)

# Certificate and revocation reasons shared by ID-card and Smart-ID checks.
CERTIFICATE_MESSAGES: Messages = {
    "malformed": ("Vastus oli vigane. Proovi uuesti.",
                  "The response was malformed. Please try again."),
    "cert_expired": ("Sertifikaat on aegunud.", "The certificate has expired."),
    "cert_not_yet_valid": ("Sertifikaat ei kehti veel.", "The certificate is not valid yet."),
    "wrong_purpose": ("See sertifikaat ei sobi sisselogimiseks.",
                      "This certificate cannot be used for logging in."),
    "untrusted_chain": ("Sertifikaadi väljastajat ei tunta.",
                        "The issuer of the certificate is not recognised."),
    "disallowed_policy": ("Seda sertifikaati ei saa siin sisselogimiseks kasutada.",
                          "This certificate cannot be used for logging in here."),
    "missing_policy": ("Seda sertifikaati ei saa siin sisselogimiseks kasutada.",
                       "This certificate cannot be used for logging in here."),
    "bad_signature": ("Allkirja ei õnnestunud kontrollida. Proovi uuesti.",
                      "The signature could not be verified. Please try again."),
    "revoked": ("Sertifikaat on peatatud või tühistatud.",
                "The certificate has been suspended or revoked."),
    "cert_unknown": ("Sertifikaadi väljastaja ei tunne seda sertifikaati.",
                     "The certificate issuer does not recognise this certificate."),
    "ocsp_unavailable": (("Sertifikaadi kehtivust ei õnnestunud praegu kontrollida. "
                         "Proovi mõne aja pärast uuesti."),
                         ("The validity of the certificate could not be checked right now. "
                         "Please try again in a while.")),
    "unsupported_identity": ("Selle sertifikaadiga ei saa Eesti isikukoodiga sisse logida.",
                             ("This certificate does not carry an Estonian personal "
                             "identification code.")),
}


class EidError(Exception):
    """Root of the eID errors. ``reason`` is one of ``MESSAGES``; ``detail`` is for logs only."""

    MESSAGES: ClassVar[Messages] = CERTIFICATE_MESSAGES

    def __init__(self, reason: str, *, detail: str | None = None) -> None:
        if reason not in self.MESSAGES:
            raise ValueError(f"unknown {type(self).__name__} reason {reason!r}")
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail

    def message(self, lang: str = "et") -> str:
        """The user-safe text in Estonian (``et``, default) or English (anything else)."""
        et, en = self.MESSAGES[self.reason]
        return et if lang.split("-")[0].lower() == "et" else en

    @classmethod
    def from_error(cls, error: EidError) -> EidError:
        """The same refusal re-raised as this class (shared checks raise plain ``EidError``)."""
        return cls(error.reason, detail=error.detail)
