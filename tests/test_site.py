"""Cross-cutting promises: health check, languages, CSP, no inline code."""

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings

from tests.factories import make_full_session, make_series

LOCALE = Path(settings.BASE_DIR) / "locale"


def test_healthz_answers_ok_without_touching_the_database(client):
    # No django_db mark: pytest-django raises if anything touches the database.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_every_catalog_entry_is_translated(language):
    catalog = polib.pofile(LOCALE / language / "LC_MESSAGES" / "django.po")
    untranslated = [entry.msgid for entry in catalog.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalog.fuzzy_entries()]
    assert (untranslated, fuzzy) == ([], [])
    assert len(catalog) > 100


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_compiled_catalogs_are_up_to_date(language):
    folder = LOCALE / language / "LC_MESSAGES"
    compiled = polib.mofile(folder / "django.mo")
    source = polib.pofile(folder / "django.po")
    # Keyed by context too: "Venue" (a session's place) and "Venue" (where a paper appeared).
    assert {(e.msgctxt, e.msgid): e.msgstr for e in compiled} == {
        (e.msgctxt, e.msgid): e.msgstr for e in source if e.translated() and not e.msgid_plural
    } | {(e.msgctxt, e.msgid): e.msgstr for e in compiled if e.msgid_plural}


@pytest.mark.django_db
def test_chinese_is_the_default_and_english_is_one_click_away(client):
    make_full_session(make_series(), 1)
    assert '<html lang="zh-hans">' in client.get("/nice/1/").content.decode()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/nice/1/"})
    assert response["Location"] == "/nice/1/"
    html = client.get("/nice/1/").content.decode()
    assert '<html lang="en">' in html
    assert "No. 1" in html and "Presenters" in html


@pytest.mark.django_db
def test_a_browser_asking_for_english_gets_english(client):
    html = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).content.decode()
    assert "Paper sharing sessions" in html


@pytest.mark.django_db
def test_pages_send_a_csp_without_inline_script_or_style(client):
    make_full_session(make_series(), 1)
    response = client.get("/nice/1/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/", "/nice/", "/nice/1/", "/search/?q=Talk", "/keywords/%E5%A4%9A%E6%A8%A1%E6%80%81/"]
)
def test_no_page_has_inline_script_or_style(client, url):
    make_full_session(make_series(), 1)
    html = client.get(url).content.decode()
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert "<style" not in html
    assert re.findall(r"\sstyle=", html) == []
    assert re.findall(r"\son[a-z]+=", html) == []


@pytest.mark.django_db
def test_htmx_requests_carry_the_csrf_token(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("organizer"))
    html = client.get("/").content.decode()
    assert re.search(r"<body hx-headers='\{\"x-csrftoken\": \"[A-Za-z0-9]{64}\"\}'>", html)


def test_anonymous_pages_carry_no_csrf_token_and_set_no_cookie(client, db):
    """Visitors only read (htmx GETs): a page without a token is the same for everyone."""
    response = client.get("/")
    assert "csrf" not in response.content.decode().lower()
    assert not response.cookies
