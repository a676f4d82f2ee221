"""Every change to a session and its talks, recorded: who, when, what changed.

Mutating views take a snapshot before and after the change and call
`record()`, which bumps the session's version (the optimistic lock) and
stores the difference. Snapshots are plain JSON, so history survives
later schema changes and deleted talks.
"""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Prefetch
from django.utils import timezone

from sessions.models import Session, SessionRevision, Talk, TalkPresenter

SESSION_FIELDS = ("number", "title", "status", "venue", "live_url", "description")
TALK_FIELDS = (
    "title",
    "segment",
    "summary",
    "tags",
    "paper",
    "presenters",
    "slides",
    "slides_url",
    "recording_url",
)


def snapshot(session: Session) -> dict:
    """The session and its talks as plain data. Hits the database."""
    talks = (
        Talk.objects.filter(session=session)
        .select_related("paper")
        .prefetch_related(
            Prefetch("talk_presenters", queryset=TalkPresenter.objects.select_related("person"))
        )
    )
    zone = session.series.zone
    return {
        **{name: getattr(session, name) for name in SESSION_FIELDS},
        "starts_at": timezone.localtime(session.starts_at, zone).strftime("%Y-%m-%d %H:%M"),
        "ends_at": (
            timezone.localtime(session.ends_at, zone).strftime("%Y-%m-%d %H:%M")
            if session.ends_at
            else ""
        ),
        "keywords": sorted(session.keywords.values_list("name", flat=True)),
        "talks": [
            {
                "id": talk.pk,
                "title": talk.title,
                "segment": talk.segment,
                "summary": talk.summary,
                "tags": talk.tags,
                "paper": talk.paper.title if talk.paper else "",
                "presenters": [row.person.name for row in talk.talk_presenters.all()],
                # What comes after the talk: a new recording or slides is a change like any other.
                "slides": talk.slides.url if talk.slides else "",
                "slides_url": talk.slides_url,
                "recording_url": talk.recording_url,
            }
            for talk in talks
        ],
    }


def diff(before: dict, after: dict) -> list[list[str]]:
    """[field, before, after] for each difference, talks described by title."""
    changes = [
        [name, _text(before.get(name)), _text(after.get(name))]
        for name in (*SESSION_FIELDS, "starts_at", "ends_at", "keywords")
        if before.get(name) != after.get(name)
    ]
    before_talks = {talk["id"]: talk for talk in before.get("talks", [])}
    after_talks = {talk["id"]: talk for talk in after.get("talks", [])}
    if [t["id"] for t in before.get("talks", [])] != [t["id"] for t in after.get("talks", [])]:
        changes.append(
            [
                "talks",
                " / ".join(t["title"] for t in before.get("talks", [])),
                " / ".join(t["title"] for t in after.get("talks", [])),
            ]
        )
    for talk_id, talk in after_talks.items():
        old = before_talks.get(talk_id)
        if old is None:
            continue
        for name in TALK_FIELDS:
            # .get: snapshots stored before a field was recorded lack it.
            if old.get(name, "") != talk.get(name, ""):
                changes.append(
                    [f"{talk['title']}: {name}", _text(old.get(name)), _text(talk.get(name))]
                )
    return changes


def _text(value) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return "" if value is None else str(value)


def record(session: Session, user, summary: str, before: dict | None) -> SessionRevision:
    """Bump the session's version and store what changed since `before` (None: created).

    Call inside the transaction that made the change. Hits the database.
    """
    after = snapshot(session)
    if before is not None:
        Session.objects.filter(pk=session.pk).mark_changed()
        session.refresh_from_db(fields=["version", "updated_at"])
    return SessionRevision.objects.create(
        session=session,
        version=session.version,
        user=user if user and user.is_authenticated else None,
        summary=summary,
        snapshot=after,
        changes=diff(before, after) if before is not None else [],
    )


def change_label(field: str) -> str:
    """A recorded change's field named in the reader's language, from the models'
    verbose names: "starts_at" -> "开始时间", "<talk title>: summary" -> "<talk title>: 摘要"."""
    talk_title, separator, name = field.rpartition(": ")
    if name == "talks" and not separator:
        return str(Talk._meta.verbose_name_plural)
    model = Talk if separator else Session
    try:
        label = str(model._meta.get_field(name).verbose_name)  # type: ignore[union-attr]
    except FieldDoesNotExist:
        label = name
    return f"{talk_title}{separator}{label}"


def change_value(value: str, field: str) -> str:
    """A recorded value for people: a status by its label ("published" -> "已发布")."""
    if field == "status" and value in Session.Status.values:
        return str(Session.Status(value).label)
    return value
