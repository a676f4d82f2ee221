from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from papers.models import Paper
from sessions.models import Talk


@require_GET
def paper_detail(request: HttpRequest, pk: int) -> HttpResponse:
    paper = get_object_or_404(Paper, pk=pk)
    talks = Talk.objects.public().filter(paper=paper).with_context().order_by("-session__starts_at")
    return render(request, "papers/paper_detail.html", {"paper": paper, "talks": talks})
