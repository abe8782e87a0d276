"""The school's audit log on the director's pages."""

from __future__ import annotations

from idp.extensions import db
from idp.models.audit import audit
from idp.services import accounts as account_service
from idp.services import schools as school_service
from tests.idp._ui import find, parse

from .conftest import isikukood


def rows(client, query: str = "") -> list[list[str]]:
    page = parse(client.get(f"/admin/alpha/audit{query}").get_data(as_text=True))
    cells = [td.text.strip() for td in find(page, "td")]
    return [cells[i:i + 5] for i in range(0, len(cells), 5)]


def test_newest_first_with_actor_account_and_details(app, dora):
    with app.app_context():
        school = school_service.get("alpha")
        acc = account_service.create_account(school, username="uus", given_name="U",
                                             family_name="U", roles=["student"], actor="dora",
                                             via="admin")
        account_service.update_account(acc, actor="dora", via="admin", roles=["student", "staff"])
        db.session.commit()
    first, second = rows(dora)[:2]
    assert first[1] == "Kasutajakontot muudetud" and first[2] == "uus" and first[3] == "dora"
    assert "fields: roles" in first[4] and "via: admin" in first[4]
    assert second[1] == "Kasutajakonto loodud"


def test_isikukood_is_masked_wherever_it_was_logged(app, dora):
    code = isikukood(5)
    with app.app_context():
        school = school_service.get("alpha")
        audit("eid_login", school_id=school.id, actor=f"eid:{code}", isikukood=code,
              note=f"PNOEE-{code}")
        db.session.commit()
    html = dora.get("/admin/alpha/audit").get_data(as_text=True)
    assert code not in html
    assert f"{code[0]}*********{code[-1]}" in html


def test_only_the_schools_own_events(app, dora):
    with app.app_context():
        audit("secret_beta_event", school_id=school_service.get("beta").id, actor="bert")
        audit("global_event", actor="operator")
        db.session.commit()
    html = dora.get("/admin/alpha/audit").get_data(as_text=True)
    assert "secret_beta_event" not in html and "global_event" not in html


def test_pages(app, dora):
    with app.app_context():
        school = school_service.get("alpha")
        for i in range(120):
            audit("test_event", school_id=school.id, actor="t", n=i)
        db.session.commit()
    assert len(rows(dora)) == 50
    assert rows(dora)[0][4] == "n: 119"
    assert rows(dora, "?page=2")[0][4] == "n: 69"
    assert rows(dora, "?page=x")[0][4] == "n: 119"
    assert rows(dora, "?page=1000") == []


def audited_event_names() -> set[str]:
    """Every event name the code writes with ``audit("name", ...)``."""
    import re
    from pathlib import Path

    import idp
    names = set()
    for path in Path(idp.__file__).parent.rglob("*.py"):
        names |= set(re.findall(r'\baudit\(\s*"([a-z_]+)"', path.read_text(encoding="utf-8")))
    return names


def test_every_audited_event_has_a_name_in_estonian(app, dora):
    """A director reads words, not codes: each event the IdP writes is named on the page."""
    from flask_babel import force_locale

    from idp.admin.audit_views import EVENTS
    names = audited_event_names()
    assert len(names) > 30  # the scan found the calls
    assert names <= set(EVENTS), sorted(names - set(EVENTS))
    with app.test_request_context(), force_locale("et"):
        untranslated = [code for code in names if str(EVENTS[code]) == EVENTS[code]._args[0]]
    assert untranslated == []
