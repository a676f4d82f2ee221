"""The workspace's paper-list upload: who may use it, the review of unsure characters,
and the import with the characters chosen."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile

from papers.models import Paper
from tests.factories import make_series

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[1] / "papers" / "fixtures"
UPLOAD = "/manage/paper-lists/"
IMPORT = "/manage/paper-lists/import/"


@pytest.fixture(autouse=True)
def in_english(client):
    """The assertions quote the English messages; the site speaks Chinese by default."""
    client.cookies["django_language"] = "en"


@pytest.fixture
def organizer():
    user = User.objects.create_user("organizer")
    make_series().organizers.add(user)
    return user


def upload(client, name: str, content: bytes | None = None):
    data = content if content is not None else (FIXTURES / name).read_bytes()
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, data)})


def token_of(html: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', html)[1]


@pytest.mark.parametrize(
    ("who", "status"), [("anonymous", 302), ("attendee", 403), ("organizer", 200), ("admin", 200)]
)
def test_only_organizers_and_admins_may_upload_or_import(client, organizer, who, status):
    users = {
        "attendee": User.objects.create_user("attendee"),
        "organizer": organizer,
        "admin": User.objects.create_user("admin", is_staff=True),
    }
    if who != "anonymous":
        client.force_login(users[who])
    response = client.get(UPLOAD)
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith("/accounts/login/")
    posted = upload(client, "paper-list-clean.md")
    assert posted.status_code == status
    forged = client.post(IMPORT, {"token": "x", "accept_all": "1"})
    assert forged.status_code == (400 if status == 200 else status)
    assert Paper.objects.count() == (3 if status == 200 else 0)


def test_the_dashboard_links_to_the_upload(client, organizer):
    client.force_login(organizer)
    assert f'href="{UPLOAD}"' in client.get("/manage/").content.decode()


def test_a_list_the_repair_is_sure_of_is_imported_at_once(client, organizer):
    client.force_login(organizer)
    html = upload(client, "paper-list-numbered.md").content.decode()
    assert "paper-list-numbered.md: 3 created, 0 updated, 0 unchanged." in html
    nullu = Paper.objects.get(arxiv_id="2412.13817")
    assert f'href="{nullu.get_absolute_url()}">{nullu.title}</a>' in html
    assert 'name="token"' not in html


def test_unsure_characters_are_shown_with_context_and_candidates(client, organizer):
    client.force_login(organizer)
    html = upload(client, "paper-list-garbled.md").content.decode()
    assert not Paper.objects.exists()  # nothing imported before the check
    assert "UTF-8 read as Windows-1252" in html
    assert (
        '<p class="unsure__context" lang="zh" id="unsure-0-context">…文提出了第一个开源的通用评估多模态模型，'
        '其中评分<mark class="unsure__mark">与</mark>人类偏好高度一致。…</p>'
    ) in html
    radios = re.findall(r'name="choice-0" value="(.)"( checked)?', html)
    assert [value for value, _checked in radios][:3] == ["与", "中", "不"]
    assert [value for value, checked in radios if checked] == ["与"]  # the suggestion
    assert '<script src="/static/js/paper-review.js' in html


def test_the_import_uses_the_characters_chosen_and_records_them(client, organizer):
    client.force_login(organizer)
    token = token_of(upload(client, "paper-list-garbled.md").content.decode())
    html = client.post(IMPORT, {"token": token, "choice-0": "中"}).content.decode()
    critic = Paper.objects.get(arxiv_id="2410.02712")
    assert "其中评分中人类偏好高度一致" in critic.notes  # the person's choice, right or not
    assert "paper-list-garbled.md: 3 created, 0 updated, 0 unchanged." in html
    assert re.search(
        r'<li class="paper-choice--changed">\s*line 8, column 28:\s*'
        r'<strong class="paper-choice__character">中</strong>\s*'
        r'<span class="muted">\(suggested 与\)</span>',
        html,
    )


def test_accept_all_takes_every_suggestion_whatever_was_picked(client, organizer):
    client.force_login(organizer)
    token = token_of(upload(client, "paper-list-garbled.md").content.decode())
    html = client.post(IMPORT, {"token": token, "choice-0": "中", "accept_all": "1"})
    assert "Every suggestion was accepted." in html.content.decode()
    assert "其中评分与人类偏好" in Paper.objects.get(arxiv_id="2410.02712").notes


def test_a_candidate_that_was_not_offered_is_ignored(client, organizer):
    client.force_login(organizer)
    token = token_of(upload(client, "paper-list-garbled.md").content.decode())
    client.post(IMPORT, {"token": token, "choice-0": "<"})
    assert "其中评分与人类偏好" in Paper.objects.get(arxiv_id="2410.02712").notes


def test_an_altered_review_is_refused_and_imports_nothing(client, organizer):
    client.force_login(organizer)
    token = token_of(upload(client, "paper-list-garbled.md").content.decode())
    response = client.post(IMPORT, {"token": token[:-3] + "abc", "accept_all": "1"})
    assert response.status_code == 400
    assert "This review has expired or was altered" in response.content.decode()
    assert not Paper.objects.exists()


def test_bad_files_get_a_clear_error(client, organizer):
    client.force_login(organizer)
    response = upload(client, "list.md", "第一行\n".encode() + "第二行".encode("gbk"))
    assert response.status_code == 400
    assert "Line 2 is not UTF-8 text" in response.content.decode()
    html = upload(client, "empty.md", b"# nothing here\n").content.decode()
    assert "empty.md: no papers found" in html
    assert not Paper.objects.exists()
