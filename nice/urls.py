from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from nice.views import healthz
from papers.views import paper_detail
from sessions import api, views

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/openapi.json", api.openapi, name="api-openapi"),
    path("api/v1/series", api.series_list, name="api-series-list"),
    path("api/v1/series/<slug:slug>/sessions", api.session_list, name="api-session-list"),
    path(
        "api/v1/series/<slug:slug>/sessions/<int:number>",
        api.session_detail,
        name="api-session-detail",
    ),
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("papers/<int:pk>/", paper_detail, name="paper"),
    # Person and keyword slugs may be Chinese, which <slug:> does not match.
    path("people/<str:slug>/", views.person_detail, name="person"),
    path("keywords/<str:slug>/", views.keyword_detail, name="keyword"),
    path("<slug:slug>/", views.series_archive, name="series"),
    path("<slug:slug>/next/", views.series_next, name="series-next"),
    path("<slug:slug>/<int:number>/", views.session_detail, name="session"),
]

if settings.SERVE_MEDIA:
    # Uploaded files from local storage; production puts a real server or bucket here.
    urlpatterns.insert(
        0, re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})
    )

handler404 = "nice.views.not_found"
