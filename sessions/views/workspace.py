"""The organizer workspace under /manage/: schedule, edit and publish sessions.

Admins (staff) manage every series; organizers the series they belong to.
Every view checks that right itself, through the two helpers below.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Case, Count, F, Q, Value, When, Window
from django.db.models.functions import RowNumber
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from nice.markdown import render_markdown
from nice.storage import form_error_when_storage_full
from nice.text import LONG_TEXT_MAX_LENGTH, clean_text
from papers.arxiv import fetch_arxiv
from papers.models import Paper
from papers.writers import write_paper
from search import query as search_index
from sessions import history, writers
from sessions.forms import AddTalkForm, SessionForm, TalkForm
from sessions.models import Person, Series, Session, SessionRevision, Talk
from sessions.views.public import HtmxHttpRequest

# ---------------------------------------------------------------- access


def _series_for(user, slug: str) -> Series:
    """The series if `user` may manage it; 404 if it does not exist, 403 if not theirs."""
    series = get_object_or_404(Series, slug=slug)
    if not series.is_managed_by(user):
        raise PermissionDenied
    return series


def _session_for(user, slug: str, number: int) -> Session:
    series = _series_for(user, slug)
    session = get_object_or_404(Session, series=series, number=number)
    session.series = series  # spares a query for session.series
    return session


# ---------------------------------------------------------------- dashboard


# Past sessions a series' panel lists; ?past=<slug> lists all of that series'.
PAST_ON_DASHBOARD = 8


@login_required
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    """Each series' coming sessions, drafts and past sessions (recent first, with what
    their talks still miss: slides, recordings). Four queries, however many sessions."""
    series_list = list(
        Series.objects.managed_by(request.user).with_subscriber_count().order_by("name")
    )
    ids = [series.pk for series in series_list]
    coming = Session.objects.coming().filter(series__in=ids)
    drafts = Session.objects.filter(series__in=ids, status=Session.Status.DRAFT).order_by(
        "starts_at"
    )
    by_series: dict[int, dict] = {
        series.pk: {"series": series, "coming": [], "drafts": [], "past": [], "past_count": 0}
        for series in series_list
    }
    for session in coming.select_related("series"):
        by_series[session.series_id]["coming"].append(session)
    for session in drafts.select_related("series"):
        by_series[session.series_id]["drafts"].append(session)
    all_past_of = next((s.pk for s in series_list if s.slug == request.GET.get("past")), None)
    for session in _past_sessions(ids, all_past_of).select_related("series"):
        panel = by_series[session.series_id]
        panel["past"].append(session)
        panel["past_count"] = session.past_count
    for panel in by_series.values():
        panel["all_past"] = panel["series"].pk == all_past_of
    return render(request, "manage/dashboard.html", {"panels": list(by_series.values())})


def _past_sessions(series_ids: list[int], all_of: int | None):
    """Public sessions that are over, newest first: the latest PAST_ON_DASHBOARD of each
    series (all of series `all_of`), with how many talks lack slides or a recording and
    how many past sessions the series has. One query."""
    talks_without = {
        "slides": Q(talks__slides="", talks__slides_url=""),
        "recording": Q(talks__recording_url=""),
    }
    newest_first = [F("starts_at").desc(), F("number").desc()]
    past = (
        Session.objects.public()
        .past()
        .filter(series__in=series_ids)
        .annotate(
            talk_count=Count("talks", distinct=True),
            without_slides=Count("talks", filter=talks_without["slides"], distinct=True),
            without_recording=Count("talks", filter=talks_without["recording"], distinct=True),
            rank=Window(RowNumber(), partition_by=F("series_id"), order_by=newest_first),
            past_count=Window(Count("pk"), partition_by=F("series_id")),
        )
        .order_by("series_id", *newest_first)
    )
    shown = Case(When(series_id=all_of, then=Value(2**31 - 1)), default=Value(PAST_ON_DASHBOARD))
    return past.filter(rank__lte=shown)


# ---------------------------------------------------------------- a session


@login_required
@require_http_methods(["GET", "POST"])
def session_new(request: HttpRequest, slug: str) -> HttpResponse:
    series = _series_for(request.user, slug)
    with timezone.override(series.zone):
        form = SessionForm(
            request.POST or None,
            request.FILES or None,
            series=series,
            initial=series.next_session_defaults(),
        )
        if request.method == "POST" and form.is_valid():
            with form_error_when_storage_full(form), transaction.atomic():
                session = form.save(commit=False)
                session.status = Session.Status.DRAFT
                session.save()
                form.save_keywords(session)
                history.record(session, request.user, _("Created the session"), before=None)
            if form.is_valid():
                messages.success(request, _("Draft saved. Add talks, then publish it."))
                return redirect("sessions:manage-session", series.slug, session.number)
    return render(request, "manage/session_new.html", {"series": series, "form": form})


def _editor_context(
    user,
    session: Session,
    form: SessionForm | None,
    conflict: list[SessionRevision] | None = None,
    conflict_talk: int | None = None,
) -> dict:
    """Everything the editor page shows; its fragments use parts of it.

    `conflict` lists what changed since the organizer's form was filled: the
    session form's, or that of talk `conflict_talk`, which then shows it.
    """
    talks = list(session.talks.with_context())
    warnings = session.scheduling_warnings(talks, user)
    return {
        "series": session.series,
        "session": session,
        "form": form,
        "talks": talks,
        "conflict": conflict,
        "conflict_talk": conflict_talk,
        "warnings": warnings,
        "placeholder_warnings": [warning for warning in warnings if warning.get("placeholder")],
        "add_form": AddTalkForm(),
        "talk_forms": {
            talk.pk: TalkForm(
                instance=talk, prefix=f"talk-{talk.pk}", initial={"version": session.version}
            )
            for talk in talks
        },
    }


@login_required
@require_http_methods(["GET", "POST"])
def session_edit(request: HtmxHttpRequest, slug: str, number: int) -> HttpResponse:
    session = _session_for(request.user, slug, number)
    with timezone.override(session.series.zone):
        if request.method == "GET":
            form = SessionForm(instance=session, series=session.series)
            return render(
                request, "manage/editor.html", _editor_context(request.user, session, form)
            )
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
            return render(
                request,
                "manage/editor.html",
                _editor_context(request.user, session, form),
                status=400,
            )
        with form_error_when_storage_full(form), transaction.atomic():
            current = Session.objects.select_for_update().get(pk=session.pk)
            conflict = _conflict(current, form.cleaned_data.get("version"))
            if conflict:
                # Keep the organizer's input, but at the current version: saving
                # again, having seen what changed, deliberately overwrites it.
                data = request.POST.copy()
                data["version"] = str(current.version)
                form = SessionForm(data, instance=current, series=session.series)
                form.is_valid()
                current.series = session.series
                return render(
                    request,
                    "manage/editor.html",
                    _editor_context(request.user, current, form, conflict),
                    status=409,
                )
            before = history.snapshot(current)
            session.version = current.version
            session = form.save()
            form.save_keywords(session)
            history.record(session, request.user, _("Edited the session"), before)
        if not form.is_valid():  # the disk was full: nothing was saved
            current = Session.objects.get(pk=session.pk)
            return render(
                request,
                "manage/editor.html",
                _editor_context(request.user, current, form),
                status=507,
            )
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
    if status == Session.Status.PUBLISHED:
        # Published all the same: placeholders are worth a look, not a refusal.
        talks = list(current.talks.with_context())
        for warning in current.scheduling_warnings(talks, request.user):
            if warning.get("placeholder"):
                messages.warning(
                    request,
                    _("Published; worth a second look: %(warning)s") % {"warning": warning["text"]},
                )
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
        defaults = series.next_session_defaults()
        number = defaults.pop("number")
        session, _outcome = writers.write_session(
            series,
            number,
            {**defaults, "title": _("Session %(number)s") % {"number": number}},
            status_if_new=Session.Status.DRAFT,
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


# ---------------------------------------------------------------- talks


def _talk_for(user, slug: str, number: int, talk_id: int) -> tuple[Session, Talk]:
    session = _session_for(user, slug, number)
    return session, get_object_or_404(Talk, pk=talk_id, session=session)


@contextmanager
def _recorded(request: HttpRequest, session: Session, summary: str):
    """Run a change to `session` in a transaction and record it in its history.

    The session's row is locked first, by every change: changes to one session
    take turns, and all lock in the same order (the session, then its talks),
    so two of them cannot deadlock. Hits the database.
    """
    with transaction.atomic():
        Session.objects.select_for_update().filter(pk=session.pk).first()
        before = history.snapshot(session)
        yield
        history.record(session, request.user, summary, before)


def _talks_response(
    request: HtmxHttpRequest,
    session: Session,
    *,
    focus: str = "",
    announce: str = "",
    anchor: str = "talks",
    **extra,
) -> HttpResponse:
    """The talks fragment for htmx (with the new version, out of band), else the editor.

    `focus` is the id of the element keyboard focus goes to once the fragment is in
    (static/js/talk-focus.js), `announce` what the editor's live region then says;
    without JavaScript the page comes back at `anchor`.
    """
    if request.htmx:
        context = _editor_context(request.user, session, form=None)
        context["talk_forms"] |= extra.pop("talk_forms", {})
        context |= {"focus": focus, "announce": announce}
        return render(request, "manage/editor.html#talks", context | extra)
    return redirect(
        reverse("sessions:manage-session", args=[session.series.slug, session.number])
        + f"#{anchor}"
    )


def paper_for_reference(kind: str, value: str) -> tuple[Paper | None, bool]:
    """The library's paper for an arXiv id, a DOI or a title, created when new.

    The flag is False when arXiv could not be asked: the paper then carries
    only its id, and the organizer types the title. Reuses, never duplicates.
    """
    if kind == "title":
        return Paper.objects.matching(title=value), True
    if kind == "doi":
        return Paper.objects.matching(doi=value) or write_paper(
            {"doi": value, "title": f"DOI {value}"}
        )[0], True
    existing = Paper.objects.matching(arxiv_id=value)
    if existing:
        return existing, True
    metadata = fetch_arxiv(value)
    values: dict[str, object] = {"arxiv_id": value, "title": f"arXiv:{value}"}
    if metadata:
        values |= {
            "title": metadata.title or values["title"],
            "authors": "\n".join(metadata.authors),
            "year": metadata.year,
            "abstract": metadata.abstract,
            "primary_category": metadata.primary_category,
        }
    return write_paper(values)[0], metadata is not None


@login_required
@require_POST
def talk_add(request: HtmxHttpRequest, slug: str, number: int) -> HttpResponse:
    session = _session_for(request.user, slug, number)
    form = AddTalkForm(request.POST)
    if not form.is_valid():
        if not request.htmx:
            messages.error(request, " ".join(str(error) for error in form.errors["reference"]))
        return _talks_response(request, session, add_form=form, focus="id_reference")
    kind, value = form.cleaned_data["reference"]
    paper, reached = paper_for_reference(kind, value)
    with _recorded(request, session, _("Added a talk")):  # one add at a time
        talk = writers.append_talk(session, title=paper.title if paper else value, paper=paper)
    if not reached:
        messages.warning(
            request,
            _(
                "arXiv could not be reached, so “%(title)s” was added with its id only: type its title."
            )
            % {"title": talk.title},
        )
    return _talks_response(
        request,
        session,
        focus=f"talk-title-{talk.pk}",
        announce=_("Talk added"),
        anchor=f"talk-{talk.pk}",
    )


@login_required
@require_POST
def talk_edit(request: HtmxHttpRequest, slug: str, number: int, talk_id: int) -> HttpResponse:
    session, talk = _talk_for(request.user, slug, number, talk_id)
    form = TalkForm(request.POST, request.FILES, instance=talk, prefix=f"talk-{talk.pk}")
    if form.is_valid():
        with form_error_when_storage_full(form), transaction.atomic():
            current = Session.objects.select_for_update().get(pk=session.pk)
            current.series = session.series
            conflict = _conflict(current, form.cleaned_data.get("version"))
            if not conflict:
                # A slides file or a recording link is published as it is saved: in the
                # history, and with a new version that feeds and calendars see.
                with _recorded(request, current, _talk_summary(form)):
                    form.save()
        if form.is_valid() and conflict:
            return _talk_conflict(request, current, talk, conflict)
    if not form.is_valid():  # refused input, or a full disk (nothing was saved)
        if not request.htmx:
            messages.error(
                request, _("The talk was not saved: %(errors)s") % {"errors": form.errors.as_text()}
            )
        first_error = next(iter(form.errors), "")
        focus = form[first_error].auto_id if first_error in form.fields else ""
        return _talks_response(
            request,
            session,
            talk_forms={talk.pk: form},
            focus=focus or f"talk-title-{talk.pk}",
            anchor=f"talk-{talk.pk}",
        )
    messages.success(request, _("Talk saved."))
    return _talks_response(
        request,
        current,
        focus=f"talk-edit-{talk.pk}",
        announce=_("Talk saved."),
        anchor=f"talk-{talk.pk}",
    )


def _talk_summary(form: TalkForm) -> str:
    """The history's line for a talk edit: what comes after the talk is named."""
    changed = set(form.changed_data)
    if "recording_url" in changed and form.cleaned_data.get("recording_url"):
        return _("Added the recording of a talk")
    if changed & {"slides", "slides_url"} and (
        form.cleaned_data.get("slides") or form.cleaned_data.get("slides_url")
    ):
        return _("Added the slides of a talk")
    return _("Edited a talk")


def _talk_conflict(
    request: HtmxHttpRequest, current: Session, talk: Talk, conflict: list[SessionRevision]
) -> HttpResponse:
    """409: the talk's form with the organizer's input, at the current version, and
    what changed since theirs; saving it again deliberately overwrites those changes.

    For htmx the talks fragment, else the whole editor, scrolled to the talk.
    """
    prefix = f"talk-{talk.pk}"
    data = request.POST.copy()
    data[f"{prefix}-version"] = str(current.version)
    form = TalkForm(data, instance=talk, prefix=prefix)
    form.is_valid()
    with timezone.override(current.series.zone):
        session_form = (
            None if request.htmx else SessionForm(instance=current, series=current.series)
        )
        context = _editor_context(
            request.user, current, session_form, conflict, conflict_talk=talk.pk
        )
        context["talk_forms"][talk.pk] = form
        template = "manage/editor.html#talks" if request.htmx else "manage/editor.html"
        return render(request, template, context, status=409)


def _renumber(session: Session, ordered_ids: list[int]) -> None:
    places = {talk_id: position for position, talk_id in enumerate(ordered_ids, start=1)}
    writers.place_talks(list(session.talks.all()), places)


@login_required
@require_POST
def talk_move(request: HtmxHttpRequest, slug: str, number: int, talk_id: int) -> HttpResponse:
    """Up or down one place: the keyboard and screen-reader way to reorder."""
    session, talk = _talk_for(request.user, slug, number, talk_id)
    ids = list(session.talks.values_list("pk", flat=True))
    index = ids.index(talk.pk)
    direction = "up" if request.POST.get("direction") == "up" else "down"
    target = index - 1 if direction == "up" else index + 1
    if not 0 <= target < len(ids):
        target = index
    else:
        ids[index], ids[target] = ids[target], ids[index]
        with _recorded(request, session, _("Reordered the talks")):
            _renumber(session, ids)
    # Focus stays on the button pressed, at the talk's new place (talk-focus.js takes
    # the other one when that one is now disabled, at the top or the bottom).
    return _talks_response(
        request,
        session,
        focus=f"move-{direction}-{talk.pk}",
        announce=_("Talk moved to position %(position)s") % {"position": target + 1},
        anchor=f"talk-{talk.pk}",
    )


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
    ids = list(session.talks.values_list("pk", flat=True))
    with _recorded(request, session, _("Removed a talk")):
        talk.delete()
    messages.success(request, _("Talk removed."))
    # Focus goes to the talk that took its place, else the one before, else adding one.
    index = ids.index(talk_id)
    rest = ids[:index] + ids[index + 1 :]
    neighbour = rest[min(index, len(rest) - 1)] if rest else None
    return _talks_response(
        request,
        session,
        focus=f"talk-title-{neighbour}" if neighbour else "id_reference",
        announce=_("Talk removed"),
        anchor=f"talk-{neighbour}" if neighbour else "talks",
    )


@login_required
@require_POST
def presenter_add(request: HtmxHttpRequest, slug: str, number: int, talk_id: int) -> HttpResponse:
    """Add a presenter picked from the autocomplete (person) or typed in (name)."""
    session, talk = _talk_for(request.user, slug, number, talk_id)
    picked = request.POST.get("person")
    name = " ".join(clean_text(request.POST.get("name", "")).split())[:200]
    person = None
    if picked and (person_id := _int(picked)) is not None:
        person = Person.objects.visible_to(request.user).filter(pk=person_id).first()
    if person is None and not name:
        messages.error(request, _("Type a name or pick a person."))
        return _talks_response(request, session, focus=f"presenter-{talk.pk}")
    with _recorded(request, session, _("Added a presenter")):
        if person is None:
            # Typed: the person of that name, however accented or cased, before a new one.
            person, outcome = writers.write_person(name)
            if outcome == writers.Outcome.UNCHANGED and person.name != name:
                messages.info(
                    request,
                    _("“%(typed)s” is %(name)s, who is already in the archive.")
                    % {"typed": name, "name": person.name},
                )
        writers.add_presenter(talk, person)
    return _talks_response(
        request,
        session,
        focus=f"presenter-{talk.pk}",
        announce=_("Presenter added: %(name)s") % {"name": person.name},
        anchor=f"talk-{talk.pk}",
    )


@login_required
@require_POST
def presenter_remove(
    request: HtmxHttpRequest, slug: str, number: int, talk_id: int, person_id: int
) -> HttpResponse:
    session, talk = _talk_for(request.user, slug, number, talk_id)
    with _recorded(request, session, _("Removed a presenter")):
        talk.talk_presenters.filter(person_id=person_id).delete()
    return _talks_response(
        request,
        session,
        focus=f"presenter-{talk.pk}",
        announce=_("Presenter removed"),
        anchor=f"talk-{talk.pk}",
    )


def _require_some_series(user) -> None:
    if not Series.objects.managed_by(user).exists():
        raise PermissionDenied


def _people_matching(user, query: str) -> list[Person]:
    """The search index's best people for `query` (drafts' too) that `user` may see."""
    hits = search_index.search(query, [search_index.Kind.PERSON], cap=40, public_only=False)
    ids = [hit.object_id for hit in hits.ranked(search_index.Kind.PERSON)]
    found = Person.objects.visible_to(user).in_bulk(ids)
    return [found[pk] for pk in ids if pk in found][:8]


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
    people = _people_matching(request.user, query) if query else []
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
    if len(text) > LONG_TEXT_MAX_LENGTH:
        # The same limit the models keep: nothing longer can be saved, so rendering
        # it would only tie up a worker.
        return HttpResponse(
            _("Too long to preview: at most %(max)s characters.") % {"max": LONG_TEXT_MAX_LENGTH},
            status=400,
        )
    return HttpResponse(render_markdown(str(text)))
