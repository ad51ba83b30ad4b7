"""Forms of the web interface. Errors are written for the person at the desk."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from puncta.patients.models import Concern, Patient

CLINICAL_FIELDS = ("phototype", "skin_thin", "skin_sensitive", "skin_notes")


class PatientForm(forms.ModelForm):
    concerns = forms.MultipleChoiceField(
        label=_("Concerns"),
        choices=Concern.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Patient
        fields = [
            "given_name",
            "family_name",
            "date_of_birth",
            "sex_at_birth",
            "preferred_language",
            "email",
            "phone",
            "phototype",
            "skin_thin",
            "skin_sensitive",
            "skin_notes",
            "concerns",
            "contact_opt_out",
        ]
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "skin_notes": forms.Textarea(attrs={"rows": 3}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        }
        error_messages = {
            "given_name": {"required": _("Enter the patient's given name.")},
            "family_name": {"required": _("Enter the patient's family name.")},
            "date_of_birth": {
                "required": _("Enter the date of birth."),
                "invalid": _("Enter the date of birth as year-month-day, e.g. 1985-04-23."),
            },
            "email": {"invalid": _("Enter an email address like name@example.com.")},
        }

    def __init__(self, *args, clinical: bool = True, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        # Skin assessment is a clinical judgement: only clinicians see and change it.
        if not clinical:
            for name in CLINICAL_FIELDS:
                self.fields.pop(name)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version

    # Birth date, phone and MRN rules live on the model (Patient.clean), so the web form
    # and the API refuse the same values; ModelForm runs them and shows each error next
    # to its field.

    def clean_given_name(self) -> str:
        return self.cleaned_data["given_name"].strip()

    def clean_family_name(self) -> str:
        return self.cleaned_data["family_name"].strip()


class AuditFilterForm(forms.Form):
    who = forms.CharField(label=_("Patient (name or MRN)"), required=False, max_length=100)
    actor = forms.CharField(label=_("User (name or username)"), required=False,
                            max_length=100)
    date_from = forms.DateField(label=_("From"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"},
                                                       format="%Y-%m-%d"))
    date_to = forms.DateField(label=_("To"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"},
                                                     format="%Y-%m-%d"))
    patient = forms.IntegerField(label=_("Patient id"), required=False, min_value=1,
                                 widget=forms.HiddenInput)
    user = forms.IntegerField(label=_("User id"), required=False, min_value=1,
                              widget=forms.HiddenInput)
    action = forms.ChoiceField(label=_("Action"), required=False)

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        from puncta.audit.models import Action

        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("Any")), *Action.choices]
