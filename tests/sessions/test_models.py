from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from sessions.models import Keyword, Person, Series, Session
from tests.factories import (
    SHANGHAI,
    add_session_presenter,
    make_person,
    make_series,
    make_session,
    make_talk,
)

pytestmark = pytest.mark.django_db


def test_it_refuses_two_sessions_with_one_number_in_a_series():
    series = make_series()
    make_session(series, number=47)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_session(series, number=47)
    # Another series may use the number.
    assert make_session(make_series(slug="other"), number=47).number == 47


def test_it_refuses_an_end_before_the_start_in_the_database():
    start = datetime(2025, 3, 15, 19, 0, tzinfo=SHANGHAI)
    with pytest.raises(IntegrityError):
        make_session(make_series(), starts_at=start, ends_at=start - timedelta(hours=1))


def test_it_explains_an_end_before_the_start_in_forms():
    start = datetime(2025, 3, 15, 19, 0, tzinfo=SHANGHAI)
    session = Session(starts_at=start, ends_at=start)
    with pytest.raises(ValidationError) as error:
        session.clean()
    assert error.value.message_dict == {"ends_at": ["结束时间必须晚于开始时间。"]}


def test_it_refuses_an_unknown_status_in_the_database():
    with pytest.raises(IntegrityError):
        make_session(make_series(), status="archived")


def test_it_refuses_a_series_slug_that_shadows_a_site_path():
    series = Series(name="x", slug="api", timezone="Asia/Shanghai")
    with pytest.raises(ValidationError) as error:
        series.full_clean()
    assert "slug" in error.value.message_dict


def test_it_refuses_a_time_zone_that_does_not_exist():
    series = Series(name="x", slug="x", timezone="Beijing")
    with pytest.raises(ValidationError) as error:
        series.full_clean()
    assert "timezone" in error.value.message_dict


def test_it_gives_chinese_names_readable_unique_slugs():
    first = make_person("黎健进", note="知乎：Lil2J")
    second = make_person("黎健进")
    assert (first.slug, second.slug) == ("黎健进", "黎健进-2")
    assert Keyword.objects.create(name="多模态").slug == "多模态"


def test_it_shows_the_start_in_the_series_zone_with_its_offset():
    session = make_session(make_series(), starts_at=datetime.fromisoformat("2025-03-15T11:00Z"))
    assert session.local_starts_at.isoformat() == "2025-03-15T19:00:00+08:00"
    assert session.utc_offset == "UTC+08:00"


def test_it_lists_session_presenters_first_then_talk_presenters_once_each():
    session = make_session(make_series())
    host, guest, other = make_person("Host"), make_person("Guest"), make_person("Other")
    add_session_presenter(session, host)
    make_talk(session, "T1", presenters=[guest, host])
    make_talk(session, "T2", presenters=[other, guest])
    session = Session.objects.with_cards().get(pk=session.pk)
    assert [a.person.name for a in session.appearances] == ["Host", "Guest", "Other"]


def test_it_keeps_the_affiliation_a_presenter_had_at_the_time():
    session = make_session(make_series())
    person = make_person("Ada", affiliation="Now Corp")
    talk = make_talk(session, "T", presenters=[person])
    talk.talk_presenters.update(affiliation="Then University")
    assert [a.affiliation for a in talk.appearances] == ["Then University"]


def test_it_groups_talks_by_consecutive_segment():
    session = make_session(make_series())
    for title, segment in [("a", "第一场"), ("b", "第一场"), ("c", "第二场")]:
        make_talk(session, title, segment=segment)
    grouped = [(label, [t.title for t in talks]) for label, talks in session.segments]
    assert grouped == [("第一场", ["a", "b"]), ("第二场", ["c"])]


def test_public_means_published_or_cancelled():
    series = make_series()
    published = make_session(series, status="published")
    cancelled = make_session(series, status="cancelled")
    make_session(series, status="draft")
    assert set(Session.objects.public()) == {published, cancelled}


def test_it_splits_tags_on_ascii_and_full_width_commas():
    session = make_session(make_series())
    talk = make_talk(session, tags="Oral，Highlight, ")
    assert talk.tag_list == ["Oral", "Highlight"]


def test_deleting_a_person_who_presented_is_refused():
    session = make_session(make_series())
    person = make_person("Kept")
    make_talk(session, presenters=[person])
    with pytest.raises(IntegrityError):
        Person.objects.filter(pk=person.pk).delete()
