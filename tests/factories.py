"""Plain functions that make test data: each takes only what a test cares about."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from papers.models import Paper
from sessions.models import Keyword, Person, Series, Session, SessionPresenter, Talk, TalkPresenter

SHANGHAI = ZoneInfo("Asia/Shanghai")
_numbers = itertools.count(1)


def make_series(slug: str = "nice", name: str = "NICE 每周分享", **fields) -> Series:
    return Series.objects.create(slug=slug, name=name, timezone="Asia/Shanghai", **fields)


def make_session(
    series: Series,
    number: int | None = None,
    title: str | None = None,
    starts_at: datetime | None = None,
    status: str = Session.Status.PUBLISHED,
    keywords: list[str] = (),
    **fields,
) -> Session:
    number = number or next(_numbers) + 100
    session = Session.objects.create(
        series=series,
        number=number,
        title=title or f"Session {number}",
        starts_at=starts_at or datetime(2025, 3, 15, 19, 0, tzinfo=SHANGHAI),
        status=status,
        **fields,
    )
    for name in keywords:
        session.keywords.add(Keyword.objects.get_or_create(name=name)[0])
    return session


def make_person(name: str, **fields) -> Person:
    return Person.objects.create(name=name, **fields)


def make_paper(title: str = "A paper", **fields) -> Paper:
    return Paper.objects.create(title=title, **fields)


def make_talk(
    session: Session,
    title: str = "A talk",
    presenters: list[Person] = (),
    order: int | None = None,
    **fields,
) -> Talk:
    if order is None:
        order = session.talks.count() + 1
    talk = Talk.objects.create(session=session, title=title, order=order, **fields)
    for position, person in enumerate(presenters, start=1):
        TalkPresenter.objects.create(talk=talk, person=person, order=position)
    return talk


def add_session_presenter(session: Session, person: Person, order: int = 0) -> SessionPresenter:
    return SessionPresenter.objects.create(session=session, person=person, order=order)


def make_full_session(series: Series, number: int, **fields) -> Session:
    """A session with keywords, a session presenter and two talks with papers and presenters:
    everything a card or a page shows, to prove query counts do not grow with items."""
    session = make_session(series, number=number, keywords=["多模态", f"kw{number}"], **fields)
    host = make_person(f"Host {number}")
    add_session_presenter(session, host)
    for index in range(2):
        paper = make_paper(
            f"Paper {number}.{index}",
            venue="ICLR 2025",
            year=2025,
            arxiv_id=f"2501.{number:03d}{index}0",
        )
        make_talk(
            session,
            f"Talk {number}.{index}",
            presenters=[make_person(f"Speaker {number}.{index}")],
            paper=paper,
        )
    return session


def days_from_now(days: int) -> datetime:
    return timezone.now() + timedelta(days=days)
