"""Forms of step 1: the project itself and pasted text."""

from __future__ import annotations

from django import forms
from django.conf import settings

from projects.models import Project


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = ["name", "description", "instructions", "model"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "instructions": forms.Textarea(attrs={"rows": 4}),
            "model": forms.TextInput(attrs={"list": "known-models"}),
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

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the project a name.")
        return name


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
