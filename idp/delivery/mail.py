"""E-mail: composed from templates in the reader's language, queued, sent over SMTP.

Backends (``MAIL_BACKEND``): ``smtp`` (production; host, port, STARTTLS or implicit TLS,
credentials from configuration) or ``file`` (development: each message is written as an .eml
file to ``MAILBOX_DIR``, and the demo shows them at /dev/mailbox).
"""

from __future__ import annotations

import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale

from ..i18n import select_locale


def compose(template: str, *, lang: str | None = None, **context) -> dict:
    """Render ``email/<template>.txt`` (first line ``Subject: ...``) and ``.html``."""
    lang = lang or select_locale()
    with force_locale(lang):
        text = render_template(f"email/{template}.txt", lang=lang, **context)
        html = render_template(f"email/{template}.html", lang=lang, **context)
    first, _, body = text.partition("\n")
    subject = first.removeprefix("Subject:").strip()
    return {"subject": subject, "text": body.lstrip("\n"), "html": html, "lang": lang}


def queue_email(to: str, template: str, *, lang: str | None = None, school_id: int | None = None,
                **context):
    """Queue a message in the outbox (same transaction as the change that caused it)."""
    from .outbox import enqueue
    return enqueue("email", to, compose(template, lang=lang, **context), school_id=school_id)


def build_message(to: str, payload: dict) -> EmailMessage:
    cfg = current_app.config
    message = EmailMessage()
    message["From"] = cfg["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = payload["subject"]
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=cfg["MAIL_FROM"].rpartition("@")[2].strip(">") or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(payload["text"])
    message.add_alternative(payload["html"], subtype="html")
    message["Content-Language"] = payload.get("lang", "et")  # after set_content, which drops Content-*
    return message


def send_email(to: str, payload: dict) -> tuple[str, str | None]:
    cfg = current_app.config
    message = build_message(to, payload)
    if cfg["MAIL_BACKEND"] == "file":
        directory = Path(current_app.instance_path) / cfg["MAILBOX_DIR"]
        directory.mkdir(parents=True, exist_ok=True)
        (directory / f"{uuid.uuid4().hex}.eml").write_bytes(message.as_bytes())
        return "delivered", None
    try:
        smtp_class = smtplib.SMTP_SSL if cfg["SMTP_SECURITY"] == "tls" else smtplib.SMTP
        kwargs = {"context": ssl.create_default_context()} if cfg["SMTP_SECURITY"] == "tls" else {}
        with smtp_class(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=cfg["SMTP_TIMEOUT"], **kwargs) as smtp:
            if cfg["SMTP_SECURITY"] == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if cfg["SMTP_USERNAME"]:
                smtp.login(cfg["SMTP_USERNAME"], cfg["SMTP_PASSWORD"])
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        return "final", f"recipient refused: {exc}"[:500]
    except (smtplib.SMTPException, OSError) as exc:
        return "retry", f"{type(exc).__name__}: {exc}"[:500]
    return "delivered", None
