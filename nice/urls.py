from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from nice.views import healthz, media

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # Without a CSRF check: the most a forged post can do is switch a visitor's display
    # language, and a token in the switcher would make every page personal (uncacheable,
    # uncompressible: nice.pagecache). The `next` it redirects to is still checked.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("accounts/", include("django.contrib.auth.urls")),
    # Last: a series lives at /<slug>/, after every fixed path.
    path("", include("sessions.urls")),
]

if settings.SERVE_MEDIA:
    urlpatterns.insert(0, re_path(r"^media/(?P<path>.*)$", media))

handler404 = "nice.views.not_found"
