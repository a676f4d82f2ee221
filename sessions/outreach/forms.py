"""What visitors type to subscribe or say they will attend, and the organizer's capacity."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from sessions.outreach.models import normalize_email

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# RFC 5321's limit on a path; longer is not an address anyone can receive mail at.
EMAIL_MAX_LENGTH = 254


def email_field(help_text: StrOrPromise = "") -> forms.EmailField:
    return forms.EmailField(
        label=_("Email address"),
        max_length=EMAIL_MAX_LENGTH,
        help_text=help_text,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )


class SubscribeForm(forms.Form):
    """An address and the language its mails are written in."""

    email = email_field()
    language = forms.ChoiceField(label=_("Language of the mails"), choices=settings.LANGUAGES)

    def clean_email(self) -> str:
        return normalize_email(self.cleaned_data["email"])


class OwnAddressSubscribeForm(forms.Form):
    """A signed-in visitor's one click: their account's address, the page's language."""

    language = forms.ChoiceField(choices=settings.LANGUAGES, widget=forms.HiddenInput)


class RsvpForm(forms.Form):
    """Name (optional) and address; a signed-in visitor with an address on their account
    is not asked for it."""

    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        required=False,
        help_text=_("Optional: how the organizers see you on their list."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = email_field(_("The confirmation, with a link to cancel, and the reminder go here."))

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.email_from_account = bool(user and user.is_authenticated and user.email)
        if self.email_from_account:
            del self.fields["email"]
            self.account_email = normalize_email(user.email)
            self.fields["name"].initial = user.get_full_name()

    def clean_email(self) -> str:
        return normalize_email(self.cleaned_data["email"])

    @property
    def address(self) -> str:
        """The address the RSVP is for (after is_valid)."""
        return self.account_email if self.email_from_account else self.cleaned_data["email"]


class CapacityForm(forms.Form):
    rsvp_capacity = forms.IntegerField(
        label=_("RSVP capacity"),
        required=False,
        min_value=1,
        max_value=100_000,
        help_text=_("RSVP closes when this many have said they will attend. Empty: no limit."),
    )
