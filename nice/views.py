from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.static import serve


@require_safe
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for load balancers and the Docker health check: never touches the database."""
    return HttpResponse("ok", content_type="text/plain")


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404 page; API clients get JSON they can parse instead of HTML."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return render(request, "404.html", status=404)


@require_safe
def media(request: HttpRequest, path: str) -> HttpResponseBase:
    """Uploaded files from local storage; production puts a web server or a bucket here.

    A path the file system cannot look up (a name over 255 bytes, a NUL) names no file we
    stored: 404, not a 500. Paths leaving MEDIA_ROOT stay Django's 400, logged to
    django.security.
    """
    try:
        return serve(request, path, document_root=str(settings.MEDIA_ROOT))
    except (OSError, ValueError):
        raise Http404 from None
