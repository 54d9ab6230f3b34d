"""Console forms: field validation only; the rules of the trade are checked by the services."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from flask_babel import LazyString, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from statuspage.domain import lifecycle, localtime
from statuspage.domain import status as st
from statuspage.domain.backlog import Mode
from statuspage.domain.cleaning import clean_text, plausible_time
from statuspage.domain.domains import normalise as normalise_domain
from statuspage.domain.texts import LANGUAGES
from statuspage.i18n import AUTONYMS, LABELS, page_zone, zone_name
from statuspage.models import Component, StaffRole

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
ROLE_CHOICES = [
    SelectChoice(StaffRole.RESPONDER.value, _l("Responder")),
    SelectChoice(StaffRole.ADMIN.value, _l("Admin")),
]
COMPONENT_PREFIX = "component_"


def utc(moment: datetime | None) -> datetime | None:
    """`datetime-local` fields carry no zone: the console reads them in the page's time zone
    (`STATUSPAGE_TIMEZONE`), as the labels say, and stores UTC."""
    return localtime.from_local(moment, page_zone())


def local(moment: datetime | None) -> datetime | None:
    """A stored time as the console's fields show it: the page's wall clock."""
    return localtime.to_local(moment, page_zone())


def zoned(text: Callable[[str], str]) -> LazyString:
    """A label naming the page's time zone, translated when the form is shown."""
    return LazyString(lambda: text(zone_name()))


def _clean(value):
    return clean_text(value) if isinstance(value, str) else value


def deliverable_email(form, field) -> None:
    """An address our mail can reach: ASCII before the @ (no SMTPUTF8 needed), the domain in
    its ASCII (punycode) form, which is what is stored and written in the To header."""
    if not field.data:
        return
    try:
        result = validate_email(field.data, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as error:
        if any(ord(c) > 127 for c in field.data.partition("@")[0]):
            raise ValidationError(
                _l("Our mail cannot reach an address with accents before the @: use another.")
            ) from None
        raise ValidationError(_l("Invalid email address.")) from error
    field.data = result.ascii_email


def plausible(form, field) -> None:
    """A date a status page can mean (2000 to 2100): 0001 or 9999 is a typo."""
    if field.data is not None and not plausible_time(field.data):
        raise ValidationError(_l("Enter a date between 2000 and 2100."))


class Form(FlaskForm):
    """Every form of the site: text fields lose their control characters as they come in."""

    class Meta(FlaskForm.Meta):
        def bind_field(self, form, unbound_field, options):
            if not issubclass(unbound_field.field_class, PasswordField):
                filters = unbound_field.kwargs.get("filters", ())
                options = {**options, "filters": (*filters, _clean)}
            return super().bind_field(form, unbound_field, options)


def keywords_list(text: str | None) -> list[str]:
    return [word.strip() for word in (text or "").split(",") if word.strip()]


class ConfirmForm(Form):
    """A button that changes something: CSRF and nothing else."""

    submit = SubmitField(_l("Confirm"))


class LoginForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=512)])
    submit = SubmitField(_l("Sign in"))


class _WithComponents(Form):
    """A form with one select per component, added by `with_components`."""

    component_ids: list[str] = []

    def component_values(self) -> dict[str, str]:
        values = {}
        for component_id in self.component_ids:
            value = self[COMPONENT_PREFIX + component_id].data
            if value:
                values[component_id] = value
        return values

    def component_fields(self):
        return [self[COMPONENT_PREFIX + cid] for cid in self.component_ids]


def with_components(form_class, components: Iterable[Component], lang: str, blank_label):
    """A subclass of `form_class` with a status select for each component, in catalogue order."""
    choices = [SelectChoice("", blank_label)] + [
        SelectChoice(s.value, LABELS["component"][s]) for s in st.ComponentStatus
    ]
    attributes = {"component_ids": []}
    for component in components:
        label = component.name(lang)
        if component.group is not None:
            label = f"{component.group.name(lang)} › {label}"
        attributes[COMPONENT_PREFIX + component.id] = SelectField(
            label, choices=choices, default="", validate_choice=True
        )
        attributes["component_ids"].append(component.id)
    return type(form_class.__name__, (form_class,), attributes)


def status_choices(statuses):
    return [SelectChoice(s.value, LABELS["incident"][s]) for s in statuses]


def impact_choices(kind: st.IncidentKind):
    impacts = (
        [st.Impact.MAINTENANCE]
        if kind is st.IncidentKind.MAINTENANCE
        else [st.Impact.NONE, st.Impact.MINOR, st.Impact.MAJOR, st.Impact.CRITICAL]
    )
    return [SelectChoice(i.value, LABELS["impact"][i]) for i in impacts]


def _title(label):
    return StringField(label, validators=[Optional(), Length(max=255)])


def _text(label, limit: int = 20_000):
    return TextAreaField(label, validators=[Optional(), Length(max=limit)])


class Bilingual(Form):
    """Texts written side by side in English and French (`<field>_en`, `<field>_fr`).

    `needed` names the texts of which at least one language must be written.
    """

    needed: tuple[str, ...] = ()

    def texts(self, name: str) -> dict[str, str]:
        return {lang: (getattr(self, f"{name}_{lang}").data or "") for lang in LANGUAGES}

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for name in self.needed:
            if not any(value.strip() for value in self.texts(name).values()):
                field = getattr(self, f"{name}_en")
                field.errors = [*field.errors, _l("Write it in English or in French (or both).")]
                valid = False
        return valid


class IncidentForm(Bilingual, _WithComponents):
    needed = ("name", "body")
    name_en = _title(_l("Title in English"))
    name_fr = _title(_l("Title in French"))
    impact = SelectField(_l("Impact"), choices=impact_choices(st.IncidentKind.INCIDENT))
    status = SelectField(
        _l("Status"), choices=status_choices(lifecycle.initial_statuses(st.IncidentKind.INCIDENT))
    )
    body_en = _text(_l("First update in English (Markdown)"))
    body_fr = _text(_l("First update in French (Markdown)"))
    started_at = DateTimeLocalField(
        zoned(lambda zone: gettext("Started at (%(zone)s)", zone=zone)),
        format=DATETIME_FORMAT,
        validators=[Optional(), plausible],
    )
    keywords = StringField(
        _l("Keywords for matching (TLDs, datacenters, error codes), comma-separated"),
        validators=[Length(max=1000)],
    )
    preview = SubmitField(_l("Preview"))
    submit = SubmitField(_l("Open the incident"))


class MaintenanceForm(Bilingual, _WithComponents):
    needed = ("name", "body")
    name_en = _title(_l("Title in English"))
    name_fr = _title(_l("Title in French"))
    scheduled_for = DateTimeLocalField(
        zoned(lambda zone: gettext("Starts at (%(zone)s)", zone=zone)),
        format=DATETIME_FORMAT,
        validators=[InputRequired(), plausible],
    )
    scheduled_until = DateTimeLocalField(
        zoned(lambda zone: gettext("Ends at (%(zone)s)", zone=zone)),
        format=DATETIME_FORMAT,
        validators=[InputRequired(), plausible],
    )
    body_en = _text(_l("Announcement in English (Markdown)"))
    body_fr = _text(_l("Announcement in French (Markdown)"))
    keywords = StringField(
        _l("Keywords for matching (TLDs, datacenters, error codes), comma-separated"),
        validators=[Length(max=1000)],
    )
    preview = SubmitField(_l("Preview"))
    submit = SubmitField(_l("Schedule the maintenance"))

    def validate_scheduled_until(self, field) -> None:
        if self.scheduled_for.data and field.data and field.data <= self.scheduled_for.data:
            raise ValidationError(_l("The window must end after it starts."))


class UpdateForm(Bilingual, _WithComponents):
    status = SelectField(_l("Status"), choices=[])
    body_en = _text(_l("Message in English (Markdown)"))
    body_fr = _text(_l("Message in French (Markdown)"))
    display_at = DateTimeLocalField(
        zoned(lambda zone: gettext("Dated (%(zone)s, leave empty for now)", zone=zone)),
        format=DATETIME_FORMAT,
        validators=[Optional(), plausible],
    )
    notify = BooleanField(_l("Notify subscribers and attached customers"), default=True)
    preview = SubmitField(_l("Preview"))
    submit = SubmitField(_l("Post the update"))


class ResolveForm(Bilingual):
    needed = ("body",)
    body_en = _text(_l("Resolution message in English (Markdown)"))
    body_fr = _text(_l("Resolution message in French (Markdown)"))
    submit = SubmitField(_l("Resolve"))


class ReopenForm(Bilingual):
    needed = ("body",)
    status = SelectField(_l("Status"), choices=status_choices(lifecycle.OPEN_INCIDENT))
    body_en = _text(_l("Message in English (Markdown)"))
    body_fr = _text(_l("Message in French (Markdown)"))
    submit = SubmitField(_l("Reopen"))


class EditIncidentForm(Bilingual):
    needed = ("name",)
    name_en = _title(_l("Title in English"))
    name_fr = _title(_l("Title in French"))
    impact = SelectField(_l("Impact"), choices=[])
    keywords = StringField(_l("Keywords"), validators=[Length(max=1000)])
    submit = SubmitField(_l("Save"))


class EditUpdateForm(Bilingual):
    body_en = _text(_l("Message in English (Markdown)"))
    body_fr = _text(_l("Message in French (Markdown)"))
    submit = SubmitField(_l("Save"))


class PostmortemForm(Bilingual):
    needed = ("body",)
    body_en = _text(_l("Postmortem in English (Markdown)"), 50_000)
    body_fr = _text(_l("Postmortem in French (Markdown)"), 50_000)
    publish = BooleanField(_l("Publish on the incident page"), default=True)
    submit = SubmitField(_l("Save the postmortem"))


class ExtendForm(Bilingual):
    until = DateTimeLocalField(
        zoned(lambda zone: gettext("New end (%(zone)s)", zone=zone)),
        format=DATETIME_FORMAT,
        validators=[InputRequired(), plausible],
    )
    body_en = _text(_l("Message in English (Markdown, optional)"))
    body_fr = _text(_l("Message in French (Markdown, optional)"))
    submit = SubmitField(_l("Extend"))


class BacklogForm(Form):
    mode = SelectField(
        _l("Backlog Killer"),
        choices=[
            SelectChoice(Mode.AUTO.value, _l("Automatic")),
            SelectChoice(Mode.ON.value, _l("Forced on")),
            SelectChoice(Mode.OFF.value, _l("Forced off")),
        ],
    )
    submit = SubmitField(_l("Apply"))


class StaffForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254), deliverable_email])
    role = SelectField(
        _l("Role"),
        choices=ROLE_CHOICES,
    )
    submit = SubmitField(_l("Create the account"))


class TokenForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    role = SelectField(
        _l("Role"),
        choices=ROLE_CHOICES,
    )
    submit = SubmitField(_l("Create the token"))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SettingsForm(Form):
    chat_snippet = TextAreaField(
        _l("Live chat snippet (HTML given by the chat vendor)"), validators=[Length(max=10_000)]
    )
    overdue_minutes = IntegerField(
        _l("Flag an active incident without update after (minutes)"),
        validators=[InputRequired(), NumberRange(min=5, max=24 * 60)],
    )
    backlog_trigger = MultiCheckboxField(
        _l("Impacts that turn Backlog Killer on by itself"),
        choices=[
            SelectChoice(i.value, LABELS["impact"][i])
            for i in (st.Impact.MINOR, st.Impact.MAJOR, st.Impact.CRITICAL)
        ],
    )
    submit = SubmitField(_l("Save"))


LANGUAGE_CHOICES = [SelectChoice(code, name) for code, name in AUTONYMS.items()]


def service_choices(components: Iterable[Component], lang: str, unknown_label) -> list:
    """Groups and their components, in catalogue order, after "I don't know"."""
    choices = [SelectChoice("", unknown_label)]
    for component in components:
        if component.group_id is not None or component.hidden:
            continue
        choices.append(SelectChoice(component.id, component.name(lang)))
        for child in component.children:
            if not child.hidden:
                choices.append(SelectChoice(child.id, f"— {child.name(lang)}"))
    return choices


class ContactForm(Form):
    email = EmailField(
        _l("Your email"), validators=[DataRequired(), Length(max=254), deliverable_email]
    )
    name = StringField(_l("Your name"), validators=[Optional(), Length(max=200)])
    service = SelectField(_l("Which service?"), choices=[], validate_choice=True, default="")
    domain = StringField(_l("Domain name concerned (optional)"), validators=[Length(max=255)])
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=255)])
    message = TextAreaField(_l("Your message"), validators=[DataRequired(), Length(max=20_000)])
    lang = SelectField(_l("Language for our answers"), choices=LANGUAGE_CHOICES)
    submission_key = HiddenField()
    submit = SubmitField(_l("Send"))

    def validate_domain(self, field) -> None:
        if field.data and field.data.strip():
            try:
                normalise_domain(field.data)
            except ValueError:
                raise ValidationError(_l("This does not look like a domain name.")) from None


class AffectedForm(Form):
    email = EmailField(
        _l("Your email"), validators=[DataRequired(), Length(max=254), deliverable_email]
    )
    lang = SelectField(_l("Language for our answers"), choices=LANGUAGE_CHOICES)
    submit = SubmitField(_l("Keep me informed"))


class RequestActionForm(Form):
    """The buttons of the private request page; the link's token travels with them."""

    t = HiddenField()


class AcceptForm(RequestActionForm):
    """ "Yes, this is my problem", with the incident chosen (checked against those offered)."""

    incident = HiddenField()


class StillBrokenForm(RequestActionForm):
    """ "No, it is still broken", with what still fails in the customer's words."""

    details = TextAreaField(
        _l("What still fails? (optional)"), validators=[Optional(), Length(max=2000)]
    )


class SweepForm(Form):
    requests = SelectMultipleField(choices=[], coerce=int, validate_choice=False)
    submit = SubmitField(_l("Attach the selected requests"))


class AttachForm(Form):
    incident = SelectField(_l("Incident"), choices=[], validate_choice=True)
    submit = SubmitField(_l("Attach to this incident"))


class SubscribeForm(Form):
    email = EmailField(
        _l("Your email"), validators=[DataRequired(), Length(max=254), deliverable_email]
    )
    lang = SelectField(_l("Language of the mail"), choices=LANGUAGE_CHOICES)
    everything = BooleanField(_l("Every service"), default=True)
    components = MultiCheckboxField(_l("Only these services"), choices=[])
    submit = SubmitField(_l("Subscribe"))


class ManageSubscriptionForm(Form):
    lang = SelectField(_l("Language of the mail"), choices=LANGUAGE_CHOICES)
    everything = BooleanField(_l("Every service"))
    components = MultiCheckboxField(_l("Only these services"), choices=[])
    submit = SubmitField(_l("Save"))


class WebhookForm(Form):
    url = URLField(_l("Address (https://…)"), validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("Add the webhook"))
