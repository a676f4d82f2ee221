import pytest
from django.core.management import call_command

from papers.models import Paper
from sessions.models import Person, Series, Session, Talk

pytestmark = pytest.mark.django_db


def test_it_loads_a_demo_archive_big_enough_to_explore(demo):
    public = Session.objects.public()
    assert Series.objects.get().timezone == "Asia/Shanghai"
    assert public.count() >= 12
    assert Talk.objects.public().count() >= 30
    assert Session.objects.filter(status="draft").exists()
    assert public.upcoming().exists()  # there is always a "next session"
    assert Paper.objects.exclude(arxiv_id="").count() == Paper.objects.count()
    # Summaries in Chinese and in English, with math.
    summaries = list(Talk.objects.values_list("summary", flat=True))
    assert any("$" in s and "的" in s for s in summaries)
    assert any("$" in s and " the " in s for s in summaries)


def test_it_reuses_a_paper_presented_twice(demo):
    flash = Paper.objects.get(arxiv_id="2205.14135")
    assert flash.talks.count() == 2


def test_it_never_loads_into_a_database_that_has_data(demo, capsys):
    before = (Session.objects.count(), Person.objects.count())
    call_command("load_demo")
    assert (Session.objects.count(), Person.objects.count()) == before
    assert "already has a series" in capsys.readouterr().out


def test_its_upcoming_session_is_a_saturday_evening_in_beijing(demo):
    upcoming = Session.objects.public().upcoming().first()
    local = upcoming.local_starts_at
    assert (local.weekday(), local.hour, local.minute) == (5, 19, 0)
