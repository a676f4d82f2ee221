"""The history page speaks the reader's language (field names, statuses) and names the
series' time zone."""

from datetime import datetime

from sessions import history
from sessions.models import Series, Session
from tests.factories import SHANGHAI, make_session, make_talk


def test_it_names_fields_and_statuses_in_the_readers_language(organizer_client):
    session = make_session(
        Series.objects.get(slug="nice"),
        number=47,
        title="旧标题",
        status="draft",
        starts_at=datetime(2030, 3, 16, 19, 0, tzinfo=SHANGHAI),
    )
    talk = make_talk(session, "RAG: 检索", summary="旧")
    before = history.snapshot(session)
    Session.objects.filter(pk=session.pk).update(title="新标题", status="published")
    talk.summary = "新"
    talk.save()
    session.refresh_from_db()
    history.record(session, None, "Published the session", before)

    organizer_client.cookies["django_language"] = "zh-hans"
    chinese = organizer_client.get("/manage/nice/47/history/").content.decode()
    assert "<td>标题</td><td>旧标题</td><td>新标题</td>" in chinese
    assert "<td>状态</td><td>草稿</td><td>已发布</td>" in chinese
    assert "<td>RAG: 检索: 内容简介</td>" in chinese
    assert "Asia/Shanghai (UTC+08:00)" in chinese
    assert "<strong>发布了本期</strong>" in chinese  # recorded in English, read in Chinese

    organizer_client.cookies["django_language"] = "en"
    english = organizer_client.get("/manage/nice/47/history/").content.decode()
    assert "<td>title</td><td>旧标题</td><td>新标题</td>" in english
    assert "<td>status</td><td>Draft</td><td>Published</td>" in english
    assert "<td>RAG: 检索: summary</td>" in english
    assert "Times in Asia/Shanghai (UTC+08:00), the series' time zone." in english


def test_it_keeps_a_field_it_does_not_know_as_recorded():
    assert history.change_label("renamed_long_ago") == "renamed_long_ago"
    assert history.change_value("archived", "status") == "archived"
