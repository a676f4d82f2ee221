"""Markdown is rendered once, when saved (issue 13), and redone when the renderer changes."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from nice.markdown import RENDERER_VERSION
from papers.models import Paper
from sessions.models import Series, Session, Talk
from tests.factories import make_paper, make_series, make_session, make_talk

pytestmark = pytest.mark.django_db


@pytest.fixture
def talk():
    session = make_session(
        make_series(description="**Weekly**"), number=1, description="第 $x^2$ 期"
    )
    return make_talk(session, "Attention", summary="Loss $\\mathcal{L}$ <script>alert(1)</script>")


def test_saving_stores_the_sanitized_html_with_the_renderer_version(talk):
    talk.refresh_from_db()
    assert talk.rendered_with == RENDERER_VERSION
    assert "<math" in talk.summary_html and "<script" not in talk.summary_html
    session = Session.objects.get(pk=talk.session_id)
    assert "<math" in session.description_html
    assert "<strong>Weekly</strong>" in Series.objects.get().description_html


def test_pages_show_the_stored_html_without_rendering_again(client, talk):
    Talk.objects.filter(pk=talk.pk).update(summary_html="<p>stored once</p>")
    html = client.get("/nice/1/").content.decode()
    assert "stored once" in html
    api = client.get("/api/v1/series/nice/sessions/1").json()
    assert api["talks"][0]["summary_html"] == "<p>stored once</p>"


def test_an_edit_of_one_field_renders_the_summary_again(talk):
    talk.summary = "now **bold**"
    talk.save(update_fields=["summary"])
    talk.refresh_from_db()
    assert talk.summary_html == "<p>now <strong>bold</strong></p>\n"


def test_rows_from_an_older_renderer_are_shown_right_and_redone_by_the_command(client, talk):
    paper = make_paper("P", notes="*notes*")
    Talk.objects.update(summary_html="<p>old renderer</p>", rendered_with="0/old")
    Paper.objects.update(notes_html="", rendered_with="")
    html = client.get("/nice/1/").content.decode()
    assert "old renderer" not in html and "<math" in html  # rendered on the fly meanwhile
    out = StringIO()
    call_command("rerender_markdown", stdout=out)
    assert "2 rendered with" in out.getvalue()
    talk.refresh_from_db()
    paper.refresh_from_db()
    assert talk.rendered_with == paper.rendered_with == RENDERER_VERSION
    assert "<math" in talk.summary_html and paper.notes_html == "<p><em>notes</em></p>\n"
    again = StringIO()
    call_command("rerender_markdown", stdout=again)
    assert again.getvalue().strip() == f"0 rendered with {RENDERER_VERSION}"
