from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from nice.markdown import RenderedMarkdownModel
from nice.text import LONG_TEXT_MAX_LENGTH, CleanTextModel, HttpURLField
from papers.identifiers import normalize_arxiv_id, normalize_doi


class PaperQuerySet(models.QuerySet["Paper"]):
    def visible_to(self, user) -> PaperQuerySet:
        """Papers presented in a session `user` may see, and library papers not
        presented anywhere yet. Which talks `user` may see is the sessions app's rule;
        papers reaches it through the reverse relation and so imports nothing from it."""
        talk_model: Any = self.model._meta.get_field("talks").related_model
        presented = talk_model.objects.filter(paper=OuterRef("pk"))
        shown = talk_model.objects.visible_to(user).filter(paper=OuterRef("pk"))
        return self.filter(Exists(shown) | ~Exists(presented))

    def matching(self, arxiv_id: str = "", doi: str = "", title: str = "") -> Paper | None:
        """The library's paper with this arXiv id, else this DOI, else this title
        (any case): how every importer avoids duplicates. Hits the database."""
        found: Paper | None = None
        if arxiv_id:
            found = self.filter(arxiv_id=arxiv_id).first()
        if found is None and doi:
            found = self.filter(doi=doi).first()
        if found is None and title:
            found = self.filter(title__iexact=title[:500]).order_by("pk").first()
        return found


class Paper(RenderedMarkdownModel, CleanTextModel):
    """A paper in the group's library; one paper can be presented in many talks."""

    MARKDOWN_FIELDS = ("notes",)

    title = models.CharField(_("title"), max_length=500)
    # One author per line: keeps names searchable as text on every backend
    # (a JSON list would store Chinese names as \u escapes on SQLite).
    authors = models.TextField(_("authors"), blank=True, help_text=_("One author per line."))
    venue = models.CharField(
        pgettext_lazy("where a paper was published", "venue"),
        max_length=100,
        blank=True,
        help_text=_("e.g. ICLR 2025"),
    )
    year = models.PositiveSmallIntegerField(
        _("year"),
        null=True,
        blank=True,
        # The same bounds as the paper_year_plausible constraint, said as a message.
        validators=[MinValueValidator(1900), MaxValueValidator(2200)],
    )
    arxiv_id = models.CharField(
        _("arXiv id"),
        max_length=40,
        blank=True,
        help_text=_("An id such as 2401.12345 or an arXiv link; the version is dropped."),
    )
    doi = models.CharField(_("DOI"), max_length=200, blank=True)
    primary_category = models.CharField(
        _("primary category"), max_length=40, blank=True, help_text=_("arXiv's, e.g. cs.CL")
    )
    url = HttpURLField(_("paper link"), max_length=500, blank=True)
    code_url = HttpURLField(_("code link"), max_length=500, blank=True)
    project_url = HttpURLField(_("project page"), max_length=500, blank=True)
    abstract = models.TextField(
        _("abstract"), blank=True, validators=[MaxLengthValidator(LONG_TEXT_MAX_LENGTH)]
    )
    notes = models.TextField(
        _("notes"),
        blank=True,
        validators=[MaxLengthValidator(LONG_TEXT_MAX_LENGTH)],
        help_text=_("Reading notes or a summary: Markdown, with $…$ math."),
    )
    notes_html = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PaperQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "title"]
        verbose_name = _("paper")
        verbose_name_plural = _("papers")
        # The importers find papers by title, case aside, many at once (writers.PaperIndex).
        indexes = [models.Index(Lower("title"), name="paper_title_lower")]
        constraints = [
            models.UniqueConstraint(
                fields=["arxiv_id"], condition=~Q(arxiv_id=""), name="paper_unique_arxiv_id"
            ),
            models.UniqueConstraint(fields=["doi"], condition=~Q(doi=""), name="paper_unique_doi"),
            models.CheckConstraint(
                condition=Q(year__isnull=True) | Q(year__gte=1900, year__lte=2200),
                name="paper_year_plausible",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        # Code paths that skip full_clean() (importers, shells) still store
        # the one normal spelling; an invalid id raises instead of being kept.
        if self.arxiv_id:
            self.arxiv_id = normalize_arxiv_id(self.arxiv_id)
        if self.doi:
            self.doi = normalize_doi(self.doi)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("sessions:paper", args=[self.pk])

    def clean(self) -> None:
        errors = {}
        if self.arxiv_id:
            try:
                self.arxiv_id = normalize_arxiv_id(self.arxiv_id)
            except ValueError:
                errors["arxiv_id"] = _("Enter an arXiv id such as 2401.12345 or an arXiv link.")
        if self.doi:
            try:
                self.doi = normalize_doi(self.doi)
            except ValueError:
                errors["doi"] = _("Enter a DOI such as 10.1145/3292500 or a doi.org link.")
        if errors:
            raise ValidationError(errors)

    @property
    def author_list(self) -> list[str]:
        return [name.strip() for name in self.authors.splitlines() if name.strip()]

    @property
    def arxiv_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}" if self.arxiv_id else ""

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""

    @property
    def link(self) -> str:
        """The best link to read the paper: the given one, else arXiv, else the DOI."""
        return self.url or self.arxiv_url or self.doi_url
