"""Forms of step 1: the project itself and pasted text."""

from __future__ import annotations

from django import forms
from django.conf import settings

from projects.ingest import ocr
from projects.models import Project, ProjectMember

DEFAULT_OCR_LANGUAGES = Project._meta.get_field("ocr_languages").default


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = [
            "name",
            "description",
            "instructions",
            "model",
            "ocr_languages",
            "blind_review",
            "require_reliability",
            "reliability_threshold",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "instructions": forms.Textarea(attrs={"rows": 4}),
            "model": forms.TextInput(attrs={"list": "known-models"}),
        }
        labels = {
            "ocr_languages": "OCR languages",
            "blind_review": "Blind review",
            "require_reliability": "Require reliability before the full run",
            "reliability_threshold": "Reliability threshold (alpha)",
        }
        help_texts = {
            "name": "A short name you will recognise in the project list.",
            "description": "What the corpus is and the research question. Used to suggest "
            "variables.",
            "instructions": "Domain context sent to the model with every document (definitions, "
            "conventions, what to ignore).",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].help_text = (
            f"Leave empty for the default ({settings.EXTRACTOR_MODEL}). Any model name your "
            "provider serves works."
        )
        self.fields["model"].widget.attrs["placeholder"] = settings.EXTRACTOR_MODEL
        # Not required: empty, or a form posted without it, means English, the default.
        self.fields["ocr_languages"].required = False
        self.fields["ocr_languages"].help_text = ocr_languages_help()
        threshold = self.fields["reliability_threshold"]
        threshold.required = False  # empty: the default, 0.8
        threshold.min_value, threshold.max_value = 0, 1
        threshold.widget.attrs.update({"min": "0", "max": "1", "step": "0.01"})

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the project a name.")
        return name

    def clean_reliability_threshold(self):
        value = self.cleaned_data.get("reliability_threshold")
        if value is None:
            return Project._meta.get_field("reliability_threshold").default
        if not 0 <= value <= 1:
            raise forms.ValidationError("A threshold of alpha is between 0 and 1.")
        return value

    def clean_ocr_languages(self) -> str:
        value = self.cleaned_data["ocr_languages"].strip()
        return ocr.ocr_languages_clean(value) if value else DEFAULT_OCR_LANGUAGES


def ocr_languages_help() -> str:
    """What the settings page says under OCR languages: the language packs this server
    has, or that it has no OCR at all (then scans and images cannot be read)."""
    if not ocr.ocr_available():
        return (
            "OCR is not installed on this server, so scanned PDF pages and images cannot "
            "be read; the README says how to install Tesseract."
        )
    installed = ", ".join(ocr.installed_languages()) or "none"
    return (
        "Languages of scanned pages and images, joined with + (eng+deu). Installed "
        f"language packs: {installed}."
    )


class PasteForm(forms.Form):
    name = forms.CharField(
        max_length=255,
        help_text="How the document is listed, e.g. 'Interview 12'.",
        error_messages={"required": "Give the document a name."},
    )
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        strip=False,
        error_messages={"required": "Paste some text first."},
    )

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        if not text.strip():
            raise forms.ValidationError("Paste some text first.")
        return text


class MemberForm(forms.Form):
    """The owner adds an existing user to the project (``projects.members``)."""

    username = forms.CharField(max_length=150, label="Username")
    role = forms.ChoiceField(
        choices=ProjectMember.Role.choices,
        initial=ProjectMember.Role.CODER,
        help_text="A coder codes and reviews values; a viewer only reads.",
    )
