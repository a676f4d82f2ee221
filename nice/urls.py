from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from nice.views import healthz
from papers.views import paper_detail
from sessions import api, feeds, views, workspace

session_prefix = "<slug:slug>/<int:number>/"
talk_prefix = session_prefix + "talks/<int:talk_id>/"
manage_patterns = [
    path("", workspace.dashboard, name="manage-dashboard"),
    path("people/", workspace.people_search, name="manage-people"),
    path("preview/", workspace.markdown_preview, name="manage-preview"),
    path("<slug:slug>/new/", workspace.session_new, name="manage-session-new"),
    path(session_prefix, workspace.session_edit, name="manage-session"),
    path(session_prefix + "status/", workspace.session_status, name="manage-session-status"),
    path(
        session_prefix + "duplicate/", workspace.session_duplicate, name="manage-session-duplicate"
    ),
    path(session_prefix + "delete/", workspace.session_delete, name="manage-session-delete"),
    path(session_prefix + "history/", workspace.session_history, name="manage-session-history"),
    path(session_prefix + "talks/", workspace.talk_add, name="manage-talk-add"),
    path(session_prefix + "talks/order/", workspace.talk_order, name="manage-talk-order"),
    path(talk_prefix, workspace.talk_edit, name="manage-talk"),
    path(talk_prefix + "move/", workspace.talk_move, name="manage-talk-move"),
    path(talk_prefix + "delete/", workspace.talk_delete, name="manage-talk-delete"),
    path(talk_prefix + "presenters/", workspace.presenter_add, name="manage-presenter-add"),
    path(
        talk_prefix + "presenters/<int:person_id>/delete/",
        workspace.presenter_remove,
        name="manage-presenter-remove",
    ),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("manage/", include(manage_patterns)),
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
    path("keywords/<str:slug>/feed/atom/", feeds.AtomKeywordFeed(), name="keyword-atom"),
    path("keywords/<str:slug>/feed/rss/", feeds.KeywordFeed(), name="keyword-rss"),
    path("<slug:slug>/", views.series_archive, name="series"),
    path("<slug:slug>/next/", views.series_next, name="series-next"),
    path("<slug:slug>/calendar.ics", views.series_calendar, name="series-calendar"),
    path("<slug:slug>/calendar-qr.svg", views.series_calendar_qr, name="series-calendar-qr"),
    path("<slug:slug>/feed/atom/", feeds.AtomSeriesFeed(), name="series-atom"),
    path("<slug:slug>/feed/rss/", feeds.SeriesFeed(), name="series-rss"),
    path("<slug:slug>/papers.bib", views.series_bibtex, name="series-bibtex"),
    path("<slug:slug>/talks.csv", views.series_talks_csv, name="series-talks-csv"),
    path("<slug:slug>/<int:number>/", views.session_detail, name="session"),
    path("<slug:slug>/<int:number>/qr.<str:kind>", views.session_qr, name="session-qr"),
    path("<slug:slug>/<int:number>/card.png", views.session_card, name="session-card"),
    path("<slug:slug>/<int:number>/calendar.ics", views.session_calendar, name="session-calendar"),
    path("<slug:slug>/<int:number>/papers.bib", views.session_bibtex, name="session-bibtex"),
    path("<slug:slug>/<int:number>/poster.<str:kind>", views.session_poster, name="session-poster"),
]


def media(request, path):
    """Uploaded files from local storage; production puts a web server or a bucket here."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)


if settings.SERVE_MEDIA:
    urlpatterns.insert(0, re_path(r"^media/(?P<path>.*)$", media))

handler404 = "nice.views.not_found"
