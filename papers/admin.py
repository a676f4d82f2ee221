from django.contrib import admin

from papers.models import Paper


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ["title", "venue", "year", "arxiv_id", "doi"]
    list_filter = ["year", "venue"]
    search_fields = ["title", "authors", "arxiv_id", "doi", "venue"]
    fieldsets = [
        (None, {"fields": ["title", "authors", "venue", "year", "abstract"]}),
        (
            "Identifiers and links",
            {"fields": ["arxiv_id", "doi", "url", "code_url", "project_url"]},
        ),
    ]
