"""Markup that keyboard and screen-reader users rely on (issue 11); axe-core checks the rest
in tests/browser/test_axe.py."""

import itertools
import re

import pytest

from tests.factories import make_series, make_session


@pytest.fixture
def archive(db):
    series = make_series()
    make_session(series, number=1, title="第一期")
    return series


def test_it_marks_the_current_language_without_disabling_it(client, archive):
    client.cookies["django_language"] = "en"
    html = client.get("/").content.decode()
    current = re.search(r'<button[^>]*value="en"[^>]*>', html)
    other = re.search(r'<button[^>]*value="zh-hans"[^>]*>', html)
    assert current and 'aria-current="true"' in current[0] and "disabled" not in current[0]
    assert other and "aria-current" not in other[0]


def test_it_describes_home_and_archive(client, archive):
    client.cookies["django_language"] = "en"
    home = client.get("/").content.decode()
    assert (
        '<meta name="description" content="Every talk, paper and presenter of our reading '
        'groups, in one searchable archive.">' in home
    )
    series = client.get("/nice/").content.decode()
    assert (
        '<meta name="description" content="Every session of NICE 每周分享: talks, papers, '
        'presenters, slides and recordings.">' in series
    )


def test_it_labels_the_two_search_forms_differently(client, archive):
    client.cookies["django_language"] = "en"
    html = client.get("/search/?q=x").content.decode()
    assert '<form class="site-search" role="search" aria-label="Search the archive"' in html
    assert '<form class="search-page" role="search" aria-labelledby="search-q-label"' in html
    assert '<label id="search-q-label" for="search-q">Search talks, papers' in html


def test_it_orders_the_archive_headings(client, archive):
    html = client.get("/nice/").content.decode()
    levels = [int(level) for level in re.findall(r"<h([1-6])", html)]
    assert levels[:3] == [1, 2, 3]
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels))
    assert '<p id="archive-announcer" class="visually-hidden" aria-live="polite"></p>' in html
    assert 'data-announce="1 session shown"' in html or 'data-announce="已显示 1 期"' in html


@pytest.mark.parametrize(
    "url",
    ["/accounts/password_reset/", "/accounts/password_reset/done/", "/accounts/reset/done/"],
)
def test_it_shows_the_password_reset_pages_in_the_site_layout(client, db, url):
    html = client.get(url).content.decode()
    assert '<a class="skip-link" href="#main">' in html
    assert "/static/admin/" not in html


def test_it_resets_a_password_in_the_site_layout(client, django_user_model, mailoutbox):
    django_user_model.objects.create_user("org", "org@example.org", "old password 123")
    client.cookies["django_language"] = "en"
    client.post("/accounts/password_reset/", {"email": "org@example.org"})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mailoutbox[0].body)
    assert link
    form = client.get(link[1], follow=True)
    assert "<h1>Choose a new password</h1>" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a new passphrase 987", "new_password2": "a new passphrase 987"},
        follow=True,
    )
    assert "<h1>Password changed</h1>" in done.content.decode()
    user = django_user_model.objects.get(username="org")
    assert user.check_password("a new passphrase 987")
