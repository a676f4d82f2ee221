"""Forms of the organizer workspace."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from papers.identifiers import normalize_arxiv_id, normalize_doi
from sessions.models import Keyword, Session, Talk


class DateTimeLocalInput(forms.DateTimeInput):
    """<input type="datetime-local">; values are read in the active (series) time zone."""

    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class SessionForm(forms.ModelForm):
    """A session's own fields. Times are in the series' zone: the view activates it."""

    keywords_text = forms.CharField(
        label=_("Keywords"),
        required=False,
        help_text=_("Separated by commas, e.g. 多模态，模型推理"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Session
        fields = [
            "number",
            "title",
            "starts_at",
            "ends_at",
            "venue",
            "live_url",
            "description",
            "poster",
            "qr_image",
        ]
        widgets = {
            "starts_at": DateTimeLocalInput(),
            "ends_at": DateTimeLocalInput(),
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, series, **kwargs):
        super().__init__(*args, **kwargs)
        self.series = series
        self.instance.series = series
        if self.instance.pk and not self.is_bound:
            self.initial["keywords_text"] = "，".join(k.name for k in self.instance.keywords.all())
            self.initial["version"] = self.instance.version
        self.fields["starts_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        self.fields["ends_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]

    def clean_number(self) -> int:
        # The unique constraint names `series`, which is not a form field, so
        # Django's own unique check would skip it.
        number = self.cleaned_data["number"]
        taken = Session.objects.filter(series=self.series, number=number).exclude(
            pk=self.instance.pk
        )
        if taken.exists():
            raise forms.ValidationError(
                _("Session %(number)s already exists in this series."), params={"number": number}
            )
        return number

    def keyword_names(self) -> list[str]:
        names = []
        for part in re.split(r"[,，、]", self.cleaned_data.get("keywords_text", "")):
            if part.strip() and part.strip() not in names:
                names.append(part.strip()[:100])
        return names

    def save_keywords(self, session: Session) -> None:
        session.keywords.set(
            [Keyword.objects.get_or_create(name=name)[0] for name in self.keyword_names()]
        )


class AddTalkForm(forms.Form):
    """One box for what organizers paste: an arXiv id or link, a DOI, or a plain title."""

    reference = forms.CharField(
        label=_("Add a talk"),
        max_length=500,
        help_text=_("An arXiv id or link (2401.12345, hep-th/9901001), a DOI, or a title."),
    )

    def clean_reference(self) -> tuple[str, str]:
        """("arxiv", id), ("doi", doi) or ("title", text)."""
        text = self.cleaned_data["reference"].strip()
        try:
            return "arxiv", normalize_arxiv_id(text)
        except ValueError:
            pass
        try:
            return "doi", normalize_doi(text)
        except ValueError:
            pass
        if re.match(r"(?i)^(https?://)?(www\.)?arxiv\.org/|^arxiv:", text):
            raise forms.ValidationError(
                _("“%(text)s” looks like an arXiv link but has no valid id."), params={"text": text}
            )
        return "title", text


class TalkForm(forms.ModelForm):
    class Meta:
        model = Talk
        fields = ["title", "segment", "tags", "summary", "slides_url", "recording_url"]
        widgets = {"summary": forms.Textarea(attrs={"rows": 6})}
