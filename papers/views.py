from __future__ import annotations

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from papers.models import Paper
from sessions.models import Talk, TalkPresenter


@require_GET
def paper_detail(request: HttpRequest, pk: int) -> HttpResponse:
    paper = get_object_or_404(Paper, pk=pk)
    talks = (
        Talk.objects.public()
        .filter(paper=paper)
        .select_related("session__series")
        .prefetch_related(
            Prefetch("talk_presenters", queryset=TalkPresenter.objects.select_related("person"))
        )
        .order_by("-session__starts_at")
    )
    return render(request, "papers/paper_detail.html", {"paper": paper, "talks": talks})
