"""Forms of the organizer workspace."""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from papers.identifiers import normalize_arxiv_id, normalize_doi
from papers.models import Paper
from sessions.models import Series, Session, Talk
from sessions.writers import write_keyword, write_session_keywords


class DateTimeLocalInput(forms.DateTimeInput):
    """<input type="datetime-local">; values are read in the active (series) time zone."""

    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class SeriesDateTimeField(forms.DateTimeField):
    """A time on the series' clock: shown and read in `zone`, whatever zone is active.

    The one rule for times in forms: the workspace and the admin use it, so a
    form rendered or validated outside a timezone.override() cannot shift a
    session by the server's offset.
    """

    widget = DateTimeLocalInput
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]

    def __init__(self, *, zone: zoneinfo.ZoneInfo | None = None, **kwargs) -> None:
        kwargs.setdefault("widget", DateTimeLocalInput())
        super().__init__(**kwargs)
        self.zone = zone or zoneinfo.ZoneInfo("UTC")

    def prepare_value(self, value):
        if isinstance(value, datetime) and timezone.is_aware(value):
            return timezone.localtime(value, self.zone).replace(tzinfo=None)
        return value

    def to_python(self, value):
        with timezone.override(self.zone):
            return super().to_python(value)


# Labels, help and "required" come from the model; reading and showing in the zone from here.
SERIES_TIME_FIELDS = {"starts_at": SeriesDateTimeField, "ends_at": SeriesDateTimeField}


class SeriesTimesMixin:
    """Puts the series' zone on the form's SeriesDateTimeFields and names it."""

    def use_series_zone(self, series: Series | None) -> None:
        zone = series.zone if series else Series().zone
        # The offset at the session's own start: summer time may differ from today's.
        moment = getattr(getattr(self, "instance", None), "starts_at", None)
        label = series.zone_label(moment) if series else ""
        for field in self.fields.values():  # type: ignore[attr-defined]
            if isinstance(field, SeriesDateTimeField):
                field.zone = zone
                if label:
                    field.help_text = _("In the series' time zone, %(zone)s.") % {"zone": label}


class SessionForm(SeriesTimesMixin, forms.ModelForm):
    """A session's own fields; times on the series' clock (SeriesDateTimeField)."""

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
            "live_url_for_rsvp_only",
            "rsvp_capacity",
            "description",
            "poster",
            "qr_image",
        ]
        widgets = {
            "starts_at": DateTimeLocalInput(),
            "ends_at": DateTimeLocalInput(),
            "description": forms.Textarea(attrs={"rows": 4}),
        }
        field_classes = SERIES_TIME_FIELDS

    def __init__(self, *args, series, **kwargs):
        super().__init__(*args, **kwargs)
        self.series = series
        self.instance.series = series
        if self.instance.pk and not self.is_bound:
            self.initial["keywords_text"] = "，".join(k.name for k in self.instance.keywords.all())
            self.initial["version"] = self.instance.version
        self.use_series_zone(series)

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
        write_session_keywords(session, [write_keyword(name) for name in self.keyword_names()])


DOI_MAX_LENGTH = Paper._meta.get_field("doi").max_length or 200


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
            doi = normalize_doi(text)
        except ValueError:
            pass
        else:
            if len(doi) > DOI_MAX_LENGTH:
                raise forms.ValidationError(
                    _("A DOI has at most %(max)s characters."), params={"max": DOI_MAX_LENGTH}
                )
            return "doi", doi
        if re.match(r"(?i)^(https?://)?(www\.)?arxiv\.org/|^arxiv:", text):
            raise forms.ValidationError(
                _("“%(text)s” looks like an arXiv link but has no valid id."), params={"text": text}
            )
        return "title", text


class TalkForm(forms.ModelForm):
    """A talk's own fields, and the version of its session the form was filled from.

    Every talk change bumps the session's version, so a form from an older
    one is refused rather than overwriting what changed meanwhile.
    """

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Talk
        # After the talk: its slides (a PDF, checked by nice.media, or a link) and recording.
        fields = ["title", "segment", "tags", "summary", "slides", "slides_url", "recording_url"]
        widgets = {"summary": forms.Textarea(attrs={"rows": 6})}
        help_texts = {
            "recording_url": _(
                "YouTube and Bilibili recordings play on the session page; "
                "other links are shown as links."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slides"].help_text = _("A PDF of at most %(limit)s, or a link below.") % {
            "limit": filesizeformat(settings.IMAGE_UPLOAD_MAX_BYTES)
        }


class SessionAdminForm(SeriesTimesMixin, forms.ModelForm):
    """The admin's session form: times in the series' zone, as everywhere else.

    On "add" the series is whatever the form posts; before that, the default zone.
    """

    class Meta:
        model = Session
        fields = [
            "series",
            "number",
            "title",
            "status",
            "starts_at",
            "has_start_time",
            "ends_at",
            "venue",
            "live_url",
            "live_url_for_rsvp_only",
            "rsvp_capacity",
            "description",
            "keywords",
            "poster",
            "qr_image",
        ]
        field_classes = SERIES_TIME_FIELDS
        # The admin's own split date/time widget would post two values.
        widgets = {"starts_at": DateTimeLocalInput(), "ends_at": DateTimeLocalInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.use_series_zone(self._series())

    def _series(self) -> Series | None:
        if self.is_bound:
            try:
                return Series.objects.filter(pk=int(self.data.get("series", ""))).first()
            except ValueError:
                return None
        if self.instance.series_id:
            return self.instance.series
        return None
