"""Estonian and English texts of the demo Stuudium."""

from __future__ import annotations

__all__ = ["LANGUAGES", "ROLE_NAMES", "TEXTS", "role_labels"]

LANGUAGES = ("et", "en")

TEXTS: dict[str, dict[str, str]] = {
    "et": {
        "skip": "Liigu sisu juurde",
        "language": "Keel",
        "welcome_title": "Tere tulemast!",
        "welcome_text": "{school} – Stuudium. Jätkamiseks palun logige sisse.",
        "login": "Logi sisse",
        "logout": "Logi välja",
        "hello": "Tere, {name}!",
        "roles": "Teie rollid selles koolis",
        "no_roles": "Teil ei ole selles koolis ühtegi rolli.",
        "email": "E-post",
        "phone": "Telefon",
        "profile": "Minu profiil",
        "schools_nav": "Minu koolid",
        "current": "praegune kool",
        "logged_out": "Te olete välja logitud.",
        "footer": "Näidisrakendus – koolide ühine sisselogimine",
    },
    "en": {
        "skip": "Skip to content",
        "language": "Language",
        "welcome_title": "Welcome!",
        "welcome_text": "{school} – Stuudium. Please sign in to continue.",
        "login": "Sign in",
        "logout": "Sign out",
        "hello": "Hello, {name}!",
        "roles": "Your roles at this school",
        "no_roles": "You have no role at this school.",
        "email": "E-mail",
        "phone": "Phone",
        "profile": "My profile",
        "schools_nav": "My schools",
        "current": "current school",
        "logged_out": "You have been signed out.",
        "footer": "Demo application – shared sign-in for schools",
    },
}

ROLE_NAMES: dict[str, dict[str, str]] = {
    "et": {"student": "õpilane", "parent": "lapsevanem", "teacher": "õpetaja", "staff": "töötaja",
           "admin": "direktor"},
    "en": {"student": "student", "parent": "parent", "teacher": "teacher", "staff": "staff member",
           "admin": "director"},
}


def role_labels(roles: object, lang: str) -> list[str]:
    """Translate the ``roles`` claim; unknown roles are skipped, order is kept."""
    names = ROLE_NAMES.get(lang, ROLE_NAMES["et"])
    if not isinstance(roles, list):
        return []
    return [names[r] for r in roles if isinstance(r, str) and r in names]
