from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from nice.views import healthz, media

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("django.contrib.auth.urls")),
    # Last: a series lives at /<slug>/, after every fixed path.
    path("", include("sessions.urls")),
]

if settings.SERVE_MEDIA:
    urlpatterns.insert(0, re_path(r"^media/(?P<path>.*)$", media))

handler404 = "nice.views.not_found"
