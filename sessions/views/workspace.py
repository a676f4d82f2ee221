"""The organizer workspace under /manage/: schedule, edit and publish sessions.

Admins (staff) manage every series; organizers the series they belong to.
Every view checks that right itself, through the two helpers below.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, Max
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from nice.markdown import render_markdown
from papers.arxiv import fetch_arxiv
from papers.models import Paper
from sessions import history
from sessions.forms import AddTalkForm, SessionForm, TalkForm
from sessions.models import Person, Series, Session, SessionRevision, Talk, TalkPresenter
from sessions.views.public import HtmxHttpRequest

# ---------------------------------------------------------------- access


def _manageable_series(user):
    return Series.objects.all() if user.is_staff else Series.objects.filter(organizers=user)


def _series_for(user, slug: str) -> Series:
    """The series if `user` may manage it; 404 if it does not exist, 403 if not theirs."""
    series = get_object_or_404(Series, slug=slug)
    if not (user.is_staff or series.organizers.filter(pk=user.pk).exists()):
        raise PermissionDenied
    return series


def _session_for(user, slug: str, number: int) -> Session:
    series = _series_for(user, slug)
    session = get_object_or_404(Session, series=series, number=number)
    session.series = series  # spares a query for session.series
    return session


# ---------------------------------------------------------------- dashboard


@login_required
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    series_list = list(_manageable_series(request.user).order_by("name"))
    ids = [series.pk for series in series_list]
    coming = Session.objects.coming().filter(series__in=ids)
    drafts = Session.objects.filter(series__in=ids, status=Session.Status.DRAFT).order_by(
        "starts_at"
    )
    by_series = {
        series.pk: {"series": series, "coming": [], "drafts": []} for series in series_list
    }
    for session in coming.select_related("series"):
        by_series[session.series_id]["coming"].append(session)
    for session in drafts.select_related("series"):
        by_series[session.series_id]["drafts"].append(session)
    return render(request, "manage/dashboard.html", {"panels": list(by_series.values())})


# ---------------------------------------------------------------- a session


def next_session_defaults(series: Series, today: datetime | None = None) -> dict:
    """Number, time and place for a new session: the last one's weekday, time, length
    and venue, on the first such day after both today and the last session."""
    zone = series.zone
    last = series.sessions.order_by("-number").first()
    number = (series.sessions.aggregate(Max("number"))["number__max"] or 0) + 1
    now = timezone.localtime(today or timezone.now(), zone)
    if last is None:
        weekday, start_time, length, venue, live_url = 5, (19, 0), timedelta(hours=2), "", ""
    else:
        local = timezone.localtime(last.starts_at, zone)
        weekday, start_time = local.weekday(), (local.hour, local.minute)
        length = (last.ends_at - last.starts_at) if last.ends_at else timedelta(hours=2)
        venue, live_url = last.venue, last.live_url
        now = max(now, local)
    day = now.date() + timedelta(days=1)
    day += timedelta(days=(weekday - day.weekday()) % 7)
    starts_at = datetime(day.year, day.month, day.day, *start_time, tzinfo=zone)
    return {
        "number": number,
        "starts_at": starts_at,
        "ends_at": starts_at + length,
        "venue": venue,
        "live_url": live_url,
    }


@login_required
@require_http_methods(["GET", "POST"])
def session_new(request: HttpRequest, slug: str) -> HttpResponse:
    series = _series_for(request.user, slug)
    with timezone.override(series.zone):
        form = SessionForm(
            request.POST or None,
            request.FILES or None,
            series=series,
            initial=next_session_defaults(series),
        )
        if request.method == "POST" and form.is_valid():
            with transaction.atomic():
                session = form.save(commit=False)
                session.status = Session.Status.DRAFT
                session.save()
                form.save_keywords(session)
                history.record(session, request.user, _("Created the session"), before=None)
            messages.success(request, _("Draft saved. Add talks, then publish it."))
            return redirect("sessions:manage-session", series.slug, session.number)
    return render(request, "manage/session_new.html", {"series": series, "form": form})


def _editor_context(session: Session, form: SessionForm | None, conflict=None) -> dict:
    """Everything the editor page shows; its fragments use parts of it."""
    talks = list(session.talks.with_context())
    return {
        "series": session.series,
        "session": session,
        "form": form,
        "talks": talks,
        "conflict": conflict,
        "warnings": scheduling_warnings(session, talks),
        "add_form": AddTalkForm(),
        "talk_forms": {
            talk.pk: TalkForm(instance=talk, prefix=f"talk-{talk.pk}") for talk in talks
        },
    }


@login_required
@require_http_methods(["GET", "POST"])
def session_edit(request: HtmxHttpRequest, slug: str, number: int) -> HttpResponse:
    session = _session_for(request.user, slug, number)
    with timezone.override(session.series.zone):
        if request.method == "GET":
            form = SessionForm(instance=session, series=session.series)
            return render(request, "manage/editor.html", _editor_context(session, form))
        if request.GET.get("validate"):
            # Validation as the organizer types: bind, check, save nothing.
            unsaved = Session.objects.get(pk=session.pk)
            form = SessionForm(request.POST, instance=unsaved, series=session.series)
            form.is_valid()
            return render(
                request, "manage/editor.html#session-fields", {"form": form, "session": session}
            )
        form = SessionForm(request.POST, request.FILES, instance=session, series=session.series)
        if not form.is_valid():
            return render(request, "manage/editor.html", _editor_context(session, form), status=400)
        with transaction.atomic():
            current = Session.objects.select_for_update().get(pk=session.pk)
            conflict = _conflict(current, form.cleaned_data.get("version"))
            if conflict:
                # Keep the organizer's input, but at the current version: saving
                # again, having seen what changed, deliberately overwrites it.
                data = request.POST.copy()
                data["version"] = current.version
                form = SessionForm(data, instance=current, series=session.series)
                form.is_valid()
                current.series = session.series
                return render(
                    request,
                    "manage/editor.html",
                    _editor_context(current, form, conflict),
                    status=409,
                )
            before = history.snapshot(current)
            session.version = current.version
            session = form.save()
            form.save_keywords(session)
            history.record(session, request.user, _("Edited the session"), before)
    messages.success(request, _("Saved."))
    return redirect("sessions:manage-session", session.series.slug, session.number)


def _conflict(current: Session, version) -> list[SessionRevision] | None:
    """The changes made since `version`, when the form was filled from an older one."""
    if version == current.version:
        return None
    return list(
        current.revisions.filter(version__gt=version or 0)
        .select_related("user")
        .order_by("version")
    ) or [
        SessionRevision(
            session=current, version=current.version, summary=_("Changed elsewhere"), snapshot={}
        )
    ]


@login_required
@require_POST
def session_status(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    session = _session_for(request.user, slug, number)
    targets = {
        "publish": (Session.Status.PUBLISHED, _("Published the session")),
        "cancel": (Session.Status.CANCELLED, _("Cancelled the session")),
        "unpublish": (Session.Status.DRAFT, _("Turned the session back into a draft")),
    }
    if request.POST.get("action") not in targets:
        messages.error(request, _("Unknown action."))
        return redirect("sessions:manage-session", slug, number)
    status, summary = targets[request.POST["action"]]
    with transaction.atomic():
        current = Session.objects.select_for_update().get(pk=session.pk)
        if _conflict(current, _int(request.POST.get("version"))):
            messages.error(
                request, _("Someone changed this session meanwhile; check it and try again.")
            )
            return redirect("sessions:manage-session", slug, number)
        current.series = session.series
        before = history.snapshot(current)
        current.status = status
        current.save(update_fields=["status", "updated_at"])
        history.record(current, request.user, summary, before)
    messages.success(request, summary)
    return redirect("sessions:manage-session", slug, number)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
@require_POST
def session_duplicate(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """A new draft after the last session, with the series' usual time and place; no talks."""
    source = _session_for(request.user, slug, number)
    series = source.series
    with transaction.atomic():
        defaults = next_session_defaults(series)
        session = Session.objects.create(
            series=series,
            status=Session.Status.DRAFT,
            title=_("Session %(number)s") % {"number": defaults["number"]},
            **defaults,
        )
        session.keywords.set(source.keywords.all())
        history.record(session, request.user, _("Created as the next session"), before=None)
    messages.success(request, _("Draft created. Give it a title and talks."))
    return redirect("sessions:manage-session", series.slug, session.number)


@login_required
@require_http_methods(["GET", "POST"])
def session_delete(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    session = _session_for(request.user, slug, number)
    if session.status != Session.Status.DRAFT:
        messages.error(
            request, _("Only drafts can be deleted. Cancel a published session instead.")
        )
        return redirect("sessions:manage-session", slug, number)
    if request.method == "POST":
        session.delete()
        messages.success(request, _("Draft deleted."))
        return redirect("sessions:manage-dashboard")
    return render(request, "manage/delete.html", {"session": session, "series": session.series})


@login_required
@require_safe
def session_history(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    session = _session_for(request.user, slug, number)
    revisions = session.revisions.select_related("user")
    return render(
        request,
        "manage/history.html",
        {"session": session, "series": session.series, "revisions": revisions},
    )


# ---------------------------------------------------------------- warnings


def scheduling_warnings(session: Session, talks: list[Talk]) -> list[dict]:
    """Things worth a second look, never blockers: overlapping sessions of the series,
    presenters booked elsewhere at the same time, papers the series has heard before.
    Three queries."""
    assumed_length = timedelta(hours=2)
    end = session.ends_at or session.starts_at + assumed_length
    overlapping = list(
        Session.objects.exclude(pk=session.pk)
        .exclude(status=Session.Status.CANCELLED)
        .alias(
            until=Coalesce(
                "ends_at",
                ExpressionWrapper(F("starts_at") + assumed_length, output_field=DateTimeField()),
            )
        )
        .filter(starts_at__lt=end, until__gt=session.starts_at)
        .select_related("series")
    )
    warnings = [
        _warning(
            _("Overlaps with session %(number)s of this series.") % {"number": other.number},
            reverse("sessions:manage-session", args=[other.series.slug, other.number]),
        )
        for other in overlapping
        if other.series_id == session.series_id
    ]
    people = {row.person_id for talk in talks for row in talk.talk_presenters.all()}
    if people and overlapping:
        for row in TalkPresenter.objects.filter(
            person__in=people, talk__session__in=overlapping
        ).select_related("person", "talk__session__series"):
            other = row.talk.session
            warnings.append(
                _warning(
                    _("%(name)s also presents in %(series)s, session %(number)s, at the same time.")
                    % {
                        "name": row.person.name,
                        "series": other.series.name,
                        "number": other.number,
                    },
                    other.get_absolute_url(),
                )
            )
    papers = {talk.paper_id for talk in talks if talk.paper_id}
    if papers:
        for earlier in (
            Talk.objects.filter(paper__in=papers, session__series=session.series)
            .exclude(session=session)
            .select_related("session__series", "paper")
        ):
            warnings.append(
                _warning(
                    _("“%(paper)s” was already presented in session %(number)s.")
                    % {"paper": earlier.paper.title, "number": earlier.session.number},
                    earlier.session.get_absolute_url(),
                )
            )
    return warnings


def _warning(text: str, url: str) -> dict:
    return {"text": text, "url": url}


# ---------------------------------------------------------------- talks


def _talk_for(user, slug: str, number: int, talk_id: int) -> tuple[Session, Talk]:
    session = _session_for(user, slug, number)
    return session, get_object_or_404(Talk, pk=talk_id, session=session)


@contextmanager
def _recorded(request: HttpRequest, session: Session, summary: str):
    """Run a change to `session` in a transaction and record it in its history."""
    with transaction.atomic():
        before = history.snapshot(session)
        yield
        history.record(session, request.user, summary, before)


def _talks_response(request: HtmxHttpRequest, session: Session, **extra) -> HttpResponse:
    """The talks fragment for htmx (with the new version, out of band), else the editor."""
    if request.htmx:
        context = _editor_context(session, form=None)
        context["talk_forms"] |= extra.pop("talk_forms", {})
        return render(request, "manage/editor.html#talks", context | extra)
    return redirect(
        reverse("sessions:manage-session", args=[session.series.slug, session.number]) + "#talks"
    )


def paper_for_reference(kind: str, value: str) -> tuple[Paper | None, bool]:
    """The library's paper for an arXiv id, a DOI or a title, created when new.

    The flag is False when arXiv could not be asked: the paper then carries
    only its id, and the organizer types the title. Reuses, never duplicates.
    """
    if kind == "title":
        return Paper.objects.filter(title__iexact=value).first(), True
    if kind == "doi":
        paper, _created = Paper.objects.get_or_create(doi=value, defaults={"title": f"DOI {value}"})
        return paper, True
    existing = Paper.objects.filter(arxiv_id=value).first()
    if existing:
        return existing, True
    metadata = fetch_arxiv(value)
    defaults = {"title": f"arXiv:{value}"}
    if metadata:
        defaults = {
            "title": metadata.title or defaults["title"],
            "authors": "\n".join(metadata.authors),
            "year": metadata.year,
            "abstract": metadata.abstract,
            "primary_category": metadata.primary_category,
        }
    paper, _created = Paper.objects.get_or_create(arxiv_id=value, defaults=defaults)
    return paper, metadata is not None


@login_required
@require_POST
def talk_add(request: HtmxHttpRequest, slug: str, number: int) -> HttpResponse:
    session = _session_for(request.user, slug, number)
    form = AddTalkForm(request.POST)
    if not form.is_valid():
        if not request.htmx:
            messages.error(request, " ".join(form.errors["reference"]))
        return _talks_response(request, session, add_form=form)
    kind, value = form.cleaned_data["reference"]
    paper, reached = paper_for_reference(kind, value)
    with _recorded(request, session, _("Added a talk")):
        last = session.talks.aggregate(Max("order"))["order__max"] or 0
        talk = Talk.objects.create(
            session=session,
            order=last + 1,
            paper=paper,
            title=paper.title if paper else value,
        )
    if not reached:
        messages.warning(
            request,
            _(
                "arXiv could not be reached, so “%(title)s” was added with its id only: type its title."
            )
            % {"title": talk.title},
        )
    return _talks_response(request, session)


@login_required
@require_POST
def talk_edit(request: HtmxHttpRequest, slug: str, number: int, talk_id: int) -> HttpResponse:
    session, talk = _talk_for(request.user, slug, number, talk_id)
    form = TalkForm(request.POST, instance=talk, prefix=f"talk-{talk.pk}")
    if not form.is_valid():
        if not request.htmx:
            messages.error(
                request, _("The talk was not saved: %(errors)s") % {"errors": form.errors.as_text()}
            )
        return _talks_response(request, session, talk_forms={talk.pk: form})
    with _recorded(request, session, _("Edited a talk")):
        form.save()
    messages.success(request, _("Talk saved."))
    return _talks_response(request, session)


def _renumber(session: Session, ordered_ids: list[int]) -> None:
    talks = {talk.pk: talk for talk in session.talks.all()}
    for position, talk_id in enumerate(ordered_ids, start=1):
        talks[talk_id].order = position
    Talk.objects.bulk_update(talks.values(), ["order"])


@login_required
@require_POST
def talk_move(request: HtmxHttpRequest, slug: str, number: int, talk_id: int) -> HttpResponse:
    """Up or down one place: the keyboard and screen-reader way to reorder."""
    session, talk = _talk_for(request.user, slug, number, talk_id)
    ids = list(session.talks.values_list("pk", flat=True))
    index = ids.index(talk.pk)
    target = index - 1 if request.POST.get("direction") == "up" else index + 1
    if 0 <= target < len(ids):
        ids[index], ids[target] = ids[target], ids[index]
        with _recorded(request, session, _("Reordered the talks")):
            _renumber(session, ids)
    return _talks_response(request, session)


@login_required
@require_POST
def talk_order(request: HtmxHttpRequest, slug: str, number: int) -> HttpResponse:
    """The whole order at once, as drag and drop leaves it."""
    session = _session_for(request.user, slug, number)
    try:
        ids = [int(value) for value in request.POST.getlist("order")]
    except ValueError:
        ids = []
    if sorted(ids) != sorted(session.talks.values_list("pk", flat=True)):
        return HttpResponse(_("The order must list each talk of the session once."), status=400)
    with _recorded(request, session, _("Reordered the talks")):
        _renumber(session, ids)
    return _talks_response(request, session)


@login_required
@require_POST
def talk_delete(request: HtmxHttpRequest, slug: str, number: int, talk_id: int) -> HttpResponse:
    session, talk = _talk_for(request.user, slug, number, talk_id)
    with _recorded(request, session, _("Removed a talk")):
        talk.delete()
    messages.success(request, _("Talk removed."))
    return _talks_response(request, session)


@login_required
@require_POST
def presenter_add(request: HtmxHttpRequest, slug: str, number: int, talk_id: int) -> HttpResponse:
    """Add a presenter picked from the autocomplete (person) or typed in (name)."""
    session, talk = _talk_for(request.user, slug, number, talk_id)
    person = None
    if request.POST.get("person"):
        person = Person.objects.filter(pk=_int(request.POST["person"])).first()
    elif name := " ".join(request.POST.get("name", "").split())[:200]:
        person = Person.objects.filter(name=name).order_by("pk").first() or Person(name=name)
    if person is None:
        messages.error(request, _("Type a name or pick a person."))
        return _talks_response(request, session)
    with _recorded(request, session, _("Added a presenter")):
        if person.pk is None:
            person.save()
        last = talk.talk_presenters.aggregate(Max("order"))["order__max"] or 0
        TalkPresenter.objects.get_or_create(talk=talk, person=person, defaults={"order": last + 1})
    return _talks_response(request, session)


@login_required
@require_POST
def presenter_remove(
    request: HtmxHttpRequest, slug: str, number: int, talk_id: int, person_id: int
) -> HttpResponse:
    session, talk = _talk_for(request.user, slug, number, talk_id)
    with _recorded(request, session, _("Removed a presenter")):
        talk.talk_presenters.filter(person_id=person_id).delete()
    return _talks_response(request, session)


def _require_some_series(user) -> None:
    if not _manageable_series(user).exists():
        raise PermissionDenied


@login_required
@require_safe
def people_search(request: HttpRequest) -> HttpResponse:
    """Autocomplete for presenters: people whose name contains the query."""
    _require_some_series(request.user)
    talk = get_object_or_404(
        Talk.objects.select_related("session__series"), pk=_int(request.GET.get("talk"))
    )
    _series_for(request.user, talk.session.series.slug)
    query = " ".join(request.GET.get("name", "").split())[:100]
    people = Person.objects.filter(name__icontains=query).order_by("name")[:8] if query else []
    return render(
        request,
        "manage/editor.html#people-results",
        {
            "people": people,
            "query": query,
            "talk": talk,
            "session": talk.session,
            "series": talk.session.series,
        },
    )


@login_required
@require_POST
def markdown_preview(request: HttpRequest) -> HttpResponse:
    """The live preview of a summary or description, rendered exactly as pages will."""
    _require_some_series(request.user)
    text = next(
        (value for key, value in request.POST.items() if key.endswith(("summary", "description"))),
        "",
    )
    return HttpResponse(render_markdown(text[:100_000]))
