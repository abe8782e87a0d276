"""Issue 3 end to end over real sockets with three demo schools: link two schools, log in
once, switch by logo, log out once — and a school that was down gets its logout token later."""

from __future__ import annotations

import datetime as dt
import html
import re

import requests
import time_machine

from idp.delivery.worker import deliver
from idp.extensions import db
from idp.models import OutboxMessage
from tests.e2e.browserless import csrf_token, login_at_school
from tests.e2e.conftest import PASSWORD
from tests.e2e.servers import bind

MUSIC, GYMNASIUM, KINDERGARTEN = "noomuusikakool", "kesklinnagymnaasium", "paikesekiir"


def link_school(browser: requests.Session, idp: str, slug: str, username: str) -> None:
    """On the IdP profile: "Seo oma konto teise kooliga" → choose → log in there → confirm."""
    profile = browser.get(f"{idp}/account/", timeout=10)
    assert "Seo oma konto teise kooliga" in profile.text
    token = csrf_token(profile.text)
    flow = browser.post(f"{idp}/account/link", data={"csrf_token": token}, timeout=10).url
    browser.post(f"{flow}/school", data={"csrf_token": token, "school": slug}, timeout=10)
    page = browser.post(f"{flow}/login", data={"csrf_token": token, "username": username,
                                               "password": PASSWORD}, timeout=10)
    assert page.url == flow, page.url
    done = browser.post(f"{flow}/confirm", data={"csrf_token": token}, timeout=10)
    assert done.status_code == 200, done.status_code


def logged_in(browser: requests.Session, school_url: str) -> bool:
    return "Mari Maasikas" in browser.get(school_url, timeout=10).text


def logo_links(page_html: str) -> dict[str, str]:
    nav = page_html.split('class="schools"', 1)[1].split("</nav>", 1)[0]
    return {name: html.unescape(href) for href, name in
            re.findall(r'<a href="([^"]+)"[^>]*>\s*(?:<img[^>]*>)?\s*<span>([^<]+)</span>', nav)}


def follow_logout_page(browser: requests.Session, response: requests.Response) -> requests.Response:
    match = re.search(r'<meta http-equiv="refresh" content="3;url=([^"]+)">', response.text)
    return browser.get(html.unescape(match.group(1)), timeout=10) if match else response


def test_link_login_once_switch_by_logo_logout_everywhere(stack):
    idp = stack.idp.url
    music, gymnasium, kindergarten = (stack.school(s) for s in (MUSIC, GYMNASIUM, KINDERGARTEN))
    mari = requests.Session()
    assert "Mari Maasikas" in login_at_school(mari, music, "mari", PASSWORD).text
    link_school(mari, idp, GYMNASIUM, "mari")

    # log in once: the gymnasium lets her in without a prompt
    page = mari.get(f"{gymnasium}/oidc/login", timeout=10)
    assert page.url.startswith(gymnasium) and "Mari Maasikas" in page.text
    # both schools are in the navigation bar; the music school's logo jumps there, no prompt
    logos = logo_links(page.text)
    assert set(logos) == {"Nõo Muusikakool", "Kesklinna Gümnaasium"}
    jumped = mari.get(logos["Nõo Muusikakool"], timeout=10)
    assert jumped.url.startswith(music) and "Mari Maasikas" in jumped.text

    # the kindergarten is not linked: logged in separately, in another browser
    other = requests.Session()
    assert "Mari Maasikas" in login_at_school(other, kindergarten, "mari", PASSWORD).text

    # log out once, at the gymnasium: out of both linked schools, the kindergarten untouched
    page = mari.get(gymnasium, timeout=10)
    out = mari.post(f"{gymnasium}/oidc/logout", data={"csrf_token": csrf_token(page.text)}, timeout=10)
    out = follow_logout_page(mari, out)
    assert out.url.startswith(gymnasium)
    assert not logged_in(mari, gymnasium)
    assert not logged_in(mari, music)
    assert logged_in(other, kindergarten)
    # and the IdP session is gone: the next login at the music school asks for the password
    assert "/login/" in mari.get(f"{music}/oidc/login", timeout=10).url


def test_school_down_during_logout_gets_its_token_when_back(stack):
    idp = stack.idp.url
    music, gymnasium = stack.school(MUSIC), stack.school(GYMNASIUM)
    mari = requests.Session()
    login_at_school(mari, music, "mari", PASSWORD)
    link_school(mari, idp, GYMNASIUM, "mari")
    mari.get(f"{gymnasium}/oidc/login", timeout=10)  # the gymnasium takes part in the session
    assert logged_in(mari, music) and logged_in(mari, gymnasium)

    music_served = stack.schools[MUSIC]
    music_served.stop()  # the music school goes down
    page = mari.get(gymnasium, timeout=10)
    out = mari.post(f"{gymnasium}/oidc/logout", data={"csrf_token": csrf_token(page.text)}, timeout=10)
    assert out.status_code == 200  # the logout page answered although a school is down
    with stack.app.app_context():
        pending = db.session.scalars(db.select(OutboxMessage).where(
            OutboxMessage.kind == "backchannel_logout", OutboxMessage.status == "pending")).all()
        assert [m.target for m in pending] == [f"{music}/oidc/backchannel-logout"]

    # the music school comes back on the same address, with its sessions as they were
    back = bind(port=music_served.port)
    back.attach(stack.school_apps[MUSIC])
    stack.schools[MUSIC] = back
    assert logged_in(mari, music)  # it has not heard of the logout yet
    with stack.app.app_context(), time_machine.travel(
            dt.datetime.now(dt.UTC) + dt.timedelta(minutes=20), tick=True):
        deliver(wait_seconds=10)  # the worker's next round, after the back-off
        db.session.expire_all()
        assert db.session.get(OutboxMessage, pending[0].id).status == "delivered"
    assert not logged_in(mari, music)
