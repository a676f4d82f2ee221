"""axe-core (tests/browser/axe, installed by `npm ci`) finds no WCAG 2.2 AA or best-practice
violation on any public or workspace page, in Chinese and in English (public pages at a
desktop and a 390 px phone width).

One browser and one page per language; axe is injected from the npm package's file into
Debian's Chromium (the context bypasses the CSP so the injected script may run)."""

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core.management import call_command
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import expect

from papers.models import Paper
from sessions.models import Keyword, Person, Series, Session
from sessions.outreach import service

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
PASSWORD = "correct horse battery staple"
RUN_AXE = """tags => axe.run(document, {runOnly: {type: "tag", values: tags}}).then(result =>
  result.violations.map(v => v.id + " (" + v.impact + "): " +
    v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | ")))"""


@pytest.fixture
def archive(transactional_db):
    call_command("load_demo", verbosity=0)
    organizer = User.objects.create_user("organizer", "organizer@example.org", PASSWORD)
    Series.objects.get(slug="nice").organizers.add(organizer)
    return organizer


def public_urls(organizer: User) -> list[str]:
    series = Series.objects.get(slug="nice")
    published = Session.objects.public().filter(series=series).order_by("-number")
    latest = published.first()
    cancelled = Session.objects.filter(series=series, status="cancelled").first()
    chinese = Person.objects.filter(name__regex=r"^[\u4e00-\u9fff]").first()
    english = Person.objects.filter(name__regex=r"^[A-Za-z]").first()
    uid = urlsafe_base64_encode(force_bytes(organizer.pk))
    token = default_token_generator.make_token(organizer)
    assert latest and cancelled and chinese and english
    return [
        reverse("sessions:home"),
        series.get_absolute_url(),
        series.get_absolute_url() + f"?year={latest.starts_at.year}",
        latest.get_absolute_url(),
        cancelled.get_absolute_url(),
        chinese.get_absolute_url(),
        english.get_absolute_url(),
        Keyword.objects.order_by("pk").first().get_absolute_url(),  # type: ignore[union-attr]
        reverse("sessions:paper", args=[Paper.objects.order_by("pk").first().pk]),  # type: ignore[union-attr]
        reverse("sessions:search"),
        reverse("sessions:search") + "?q=多模态",
        reverse("login"),
        reverse("password_reset"),
        reverse("password_reset_done"),
        reverse("password_reset_confirm", args=[uid, "bad-token"]),
        reverse("password_reset_confirm", args=[uid, token]),
        reverse("password_reset_complete"),
        "/no-such-page/",
        *outreach_urls(series),
    ]


def outreach_urls(series: Series) -> list[str]:
    """Subscribe and RSVP pages, and the pages the links in mails open."""
    upcoming = Session.objects.public().upcoming().filter(series=series, status="published")
    session = upcoming.order_by("starts_at").first()
    assert session, "the demo has an upcoming session"
    subscription, _ = service.subscribe(series, "reader@example.org", language="en")
    rsvp, _ = service.attend(session, "attendee@example.org", language="en")
    assert subscription
    args = [series.slug, session.number]
    return [
        reverse("sessions:series-embed", args=[series.slug]),
        reverse("sessions:series-subscribe", args=[series.slug]),
        reverse("sessions:session-subscribe", args=args),
        reverse("sessions:session-rsvp", args=args),
        reverse("sessions:subscription-confirm", args=[service.confirmation_code(subscription)]),
        reverse("sessions:subscription-confirm", args=["not-a-code"]),
        reverse("sessions:unsubscribe", args=[subscription.token]),
        reverse("sessions:rsvp-detail", args=[rsvp.token]),
        reverse("sessions:rsvp-cancel", args=[rsvp.token]),
    ]


def workspace_urls() -> list[str]:
    published = Session.objects.public().order_by("-number").first()
    draft = Session.objects.filter(status="draft").first()
    assert published and draft
    args = ["nice", published.number]
    return [
        reverse("sessions:manage-dashboard"),
        reverse("sessions:manage-session-new", args=["nice"]),
        reverse("sessions:manage-session", args=args),
        reverse("sessions:manage-session", args=["nice", draft.number]),
        reverse("sessions:manage-session-history", args=args),
        reverse("sessions:manage-session-delete", args=args),
        reverse("sessions:manage-paper-list"),
        reverse("sessions:manage-rsvps", args=args),
        reverse("password_change"),
        reverse("password_change_done"),
    ]


def violations(page, url: str) -> list[str]:
    page.goto(url)
    page.add_script_tag(path=str(AXE))
    return [f"{url}: {line}" for line in page.evaluate(RUN_AXE, RULES)]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_it_finds_no_axe_violation_on_any_page(browser, live_server, archive, language):
    assert AXE.exists(), "axe-core is missing: cd tests/browser/axe && npm ci"
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    found = []
    for url in public_urls(archive):
        found += violations(page, url)
    page.set_viewport_size({"width": 390, "height": 844})  # the phone layout too
    for url in public_urls(archive):
        found += [f"390 px {line}" for line in violations(page, url)]
    page.set_viewport_size({"width": 1280, "height": 720})
    assert page.locator("html").get_attribute("lang") == language

    page.goto(reverse("login"))
    page.fill("#id_username", "organizer")
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    expect(page).to_have_url(live_server.url + reverse("sessions:manage-dashboard"))
    for url in workspace_urls():
        found += violations(page, url)
    context.close()
    assert found == []
