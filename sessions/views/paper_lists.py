"""Upload a paper list in the workspace, check what its repair was unsure of, import.

Organizers (and admins) only. The flow keeps no state on the server: the
repaired text and its unsure characters travel in a signed token from the
review page back to the import, so nothing half-imported is ever stored and no
model is needed. The import itself is import_paper_list's (one path for the
command and the page), and writes through the papers' and sessions' writers.
"""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from nice.text import clean_text, has_unwanted
from papers.lists import PaperEntry, apply_choices, parse_paper_list
from papers.mojibake import DAMAGE, RepairResult, Unsure, repair
from sessions.management.commands.import_paper_list import (
    NO_ENTRIES,
    fit_titles,
    import_entries,
    needs_repair,
)
from sessions.models import Series

# A review is signed for this long: enough to check a few hundred characters.
REVIEW_SECONDS = 24 * 3600
SALT = "sessions.paper-list-review"
MAX_LIST_BYTES = 2 * 1024 * 1024
# Characters of the line shown on either side of an unsure one.
CONTEXT = 24


def _organizer(user) -> None:
    """Only people who organize a series (or admins) import papers."""
    if not Series.objects.managed_by(user).exists():
        raise PermissionDenied


class PaperListForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Paper list"),
        help_text=gettext_lazy(
            "Markdown or text: “- [x] **Name**: Title” items, numbered items, a table "
            "with a Title column, or arXiv links. Garbled Chinese is repaired."
        ),
    )

    def clean_file(self) -> tuple[str, str]:
        """(file name, its text); refuses what is too big or not UTF-8, with the line."""
        upload = self.cleaned_data["file"]
        if upload.size > MAX_LIST_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s MB.") % {"limit": MAX_LIST_BYTES // 2**20}
            )
        raw = upload.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = raw[: error.start].count(b"\n") + 1
            raise forms.ValidationError(
                _("Line %(line)s is not UTF-8 text: save the file as UTF-8 and upload it again.")
                % {"line": line}
            ) from None
        return Path(upload.name).name[:200], text


# ---------------------------------------------------------------- the review


def _unsure_payload(item: Unsure) -> dict:
    return {
        "line": item.line,
        "column": item.column,
        "chosen": item.chosen,
        "candidates": [[character, round(p, 4)] for character, p in item.candidates],
    }


def _review_items(text: str, unsure: list[dict], chosen: dict[int, str] | None = None) -> list:
    """What the review page shows of each unsure character: the text on both sides,
    its candidates (the suggestion first) and which one is picked."""
    lines = text.split("\n")
    items = []
    for index, item in enumerate(unsure):
        line, column = lines[item["line"] - 1], item["column"]
        picked = (chosen or {}).get(index, item["chosen"])
        items.append(
            {
                "index": index,
                "line": item["line"],
                "column": column + 1,
                "before": line[max(0, column - CONTEXT) : column],
                "after": line[column + 1 : column + 1 + CONTEXT],
                "picked": picked,
                "candidates": [
                    {"character": c, "percent": round(p * 100), "picked": c == picked}
                    for c, p in item["candidates"]
                ],
            }
        )
    return items


def _damage_labels(kinds: list[str]) -> list[str]:
    return [_(DAMAGE[kind]) for kind in kinds if kind in DAMAGE]


# ---------------------------------------------------------------- the import


def _import(request: HttpRequest, name: str, text: str, report: dict) -> HttpResponse:
    """Parse and import `text`; the result page, or the upload page with the error."""
    if has_unwanted(text):
        text = clean_text(text)
    entries: list[PaperEntry] = parse_paper_list(text)
    if not entries:
        return _upload_page(request, PaperListForm(), error=f"{name}: {NO_ENTRIES}")
    fit_titles(entries)
    try:
        papers, counts, _talks = import_entries(Path(name), entries)
    except CommandError as error:
        return _upload_page(request, PaperListForm(), error=str(error))
    problems = sorted(problem for entry in entries for problem in entry.problems)
    return render(
        request,
        "manage/paper_list.html",
        {
            "done": True,
            "name": name,
            "papers": papers,
            "counts": counts,
            "problems": problems,
            **report,
        },
    )


def _upload_page(
    request: HttpRequest, form: PaperListForm, error: str = "", status: int = 200
) -> HttpResponse:
    return render(request, "manage/paper_list.html", {"form": form, "error": error}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def paper_list_upload(request: HttpRequest) -> HttpResponse:
    """The upload form; a list the repair was sure of imports at once, else the review."""
    _organizer(request.user)
    form = PaperListForm(request.POST or None, request.FILES or None)
    if request.method != "POST" or not form.is_valid():
        return _upload_page(request, form, status=400 if request.method == "POST" else 200)
    name, text = form.cleaned_data["file"]
    result = repair(text) if needs_repair(text) or "\ufffd" in text else RepairResult(text=text)
    report = {"damage": _damage_labels(result.damage), "repaired": result.repaired}
    if not result.unsure:
        return _import(request, name, result.text, {**report, "choices": []})
    payload = {
        "name": name,
        "text": result.text,
        "damage": result.damage,
        "repaired": result.repaired,
        "unsure": [_unsure_payload(item) for item in result.unsure],
    }
    token = signing.dumps(payload, salt=SALT, compress=True)
    return render(
        request,
        "manage/paper_list_review.html",
        {
            "name": name,
            "token": token,
            "items": _review_items(result.text, payload["unsure"]),
            **report,
        },
    )


@login_required
@require_POST
def paper_list_import(request: HttpRequest) -> HttpResponse:
    """Import a reviewed list with the characters chosen (or every suggestion)."""
    _organizer(request.user)
    try:
        payload = signing.loads(request.POST.get("token", ""), salt=SALT, max_age=REVIEW_SECONDS)
    except signing.BadSignature:
        return _upload_page(
            request,
            PaperListForm(),
            error=_("This review has expired or was altered; upload the list again."),
            status=400,
        )
    accept_all = "accept_all" in request.POST
    choices: dict[tuple[int, int], str] = {}
    recorded = []
    for index, item in enumerate(payload["unsure"]):
        allowed = [character for character, _p in item["candidates"]]
        given = request.POST.get(f"choice-{index}", "")
        character = item["chosen"] if accept_all or given not in allowed else given
        choices[(item["line"], item["column"])] = character
        recorded.append(
            {
                "line": item["line"],
                "column": item["column"] + 1,
                "character": character,
                "suggestion": item["chosen"],
                "changed": character != item["chosen"],
            }
        )
    text = apply_choices(payload["text"], choices)
    report = {
        "damage": _damage_labels(payload["damage"]),
        "repaired": payload["repaired"],
        "choices": recorded,
        "accepted_all": accept_all,
    }
    return _import(request, payload["name"], text, report)
