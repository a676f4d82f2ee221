"""Every page of the sessions app: public pages, downloads, feeds, the API and /manage/.

Included once by nice/urls.py; names are reversed as "sessions:<name>".
"""

from django.urls import include, path

from sessions.views import api, downloads, embed, feeds, outreach, paper_lists, public, workspace
from sessions.views import search as search_views

app_name = "sessions"

session_prefix = "<slug:slug>/<int:number>/"
talk_prefix = session_prefix + "talks/<int:talk_id>/"

manage_patterns = [
    path("", workspace.dashboard, name="manage-dashboard"),
    path("people/", workspace.people_search, name="manage-people"),
    path("preview/", workspace.markdown_preview, name="manage-preview"),
    path("paper-lists/", paper_lists.paper_list_upload, name="manage-paper-list"),
    path("paper-lists/import/", paper_lists.paper_list_import, name="manage-paper-list-import"),
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
    path(session_prefix + "rsvps/", outreach.manage_rsvps, name="manage-rsvps"),
    path(session_prefix + "rsvps.csv", outreach.manage_rsvps_csv, name="manage-rsvps-csv"),
]

api_patterns = [
    path("openapi.json", api.openapi, name="api-openapi"),
    path("v1/search", search_views.api_search, name="api-search"),
    path("v1/series", api.series_list, name="api-series-list"),
    path("v1/series/<slug:slug>/sessions", api.session_list, name="api-session-list"),
    path("v1/series/<slug:slug>/upcoming", api.upcoming_list, name="api-upcoming"),
    path(
        "v1/series/<slug:slug>/sessions/<int:number>",
        api.session_detail,
        name="api-session-detail",
    ),
]

urlpatterns = [
    path("manage/", include(manage_patterns)),
    path("api/", include(api_patterns)),
    path("", public.home, name="home"),
    path("search/", search_views.search, name="search"),
    path("search/suggest/", search_views.suggest, name="search-suggest"),
    path("search/opensearch.xml", search_views.opensearch, name="opensearch"),
    path("papers/<int:pk>/", public.paper_detail, name="paper"),
    # Person and keyword slugs may be Chinese, which <slug:> does not match.
    path("people/<str:slug>/", public.person_detail, name="person"),
    path("keywords/<str:slug>/", public.keyword_detail, name="keyword"),
    path("keywords/<str:slug>/feed/atom/", feeds.AtomKeywordFeed(), name="keyword-atom"),
    path("keywords/<str:slug>/feed/rss/", feeds.KeywordFeed(), name="keyword-rss"),
    # Links in mails and the attendee's own page: first segments reserved for the site
    # (RESERVED_SERIES_SLUGS). A confirmation code is signed, with colons in it.
    path("mail/confirm/<str:code>/", outreach.subscription_confirm, name="subscription-confirm"),
    path("mail/unsubscribe/<str:token>/", outreach.unsubscribe, name="unsubscribe"),
    path("rsvp/<str:token>/", outreach.rsvp_detail, name="rsvp-detail"),
    path("rsvp/<str:token>/cancel/", outreach.rsvp_cancel, name="rsvp-cancel"),
    path("<slug:slug>/", public.series_archive, name="series"),
    path("<slug:slug>/subscribe/", outreach.subscribe, name="series-subscribe"),
    path("<slug:slug>/next/", public.series_next, name="series-next"),
    path("<slug:slug>/embed/", embed.series_embed, name="series-embed"),
    path("<slug:slug>/calendar.ics", downloads.series_calendar, name="series-calendar"),
    path("<slug:slug>/calendar-qr.svg", downloads.series_calendar_qr, name="series-calendar-qr"),
    path("<slug:slug>/feed/atom/", feeds.AtomSeriesFeed(), name="series-atom"),
    path("<slug:slug>/feed/rss/", feeds.SeriesFeed(), name="series-rss"),
    path("<slug:slug>/papers.bib", downloads.series_bibtex, name="series-bibtex"),
    path("<slug:slug>/talks.csv", downloads.series_talks_csv, name="series-talks-csv"),
    path(session_prefix, public.session_detail, name="session"),
    path(session_prefix + "subscribe/", outreach.subscribe, name="session-subscribe"),
    path(session_prefix + "rsvp/", outreach.rsvp, name="session-rsvp"),
    path(session_prefix + "qr.<str:kind>", downloads.session_qr, name="session-qr"),
    path(session_prefix + "card.png", downloads.session_card, name="session-card"),
    path(session_prefix + "calendar.ics", downloads.session_calendar, name="session-calendar"),
    path(session_prefix + "papers.bib", downloads.session_bibtex, name="session-bibtex"),
    path(session_prefix + "poster.<str:kind>", downloads.session_poster, name="session-poster"),
]
