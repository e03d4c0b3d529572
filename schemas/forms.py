"""The variable form of step 2; its rules live in ``schemas.variables``."""

from __future__ import annotations

from django import forms

from projects.models import Project
from schemas.models import MAX_ALLOWED_VALUE_LENGTH, MAX_ALLOWED_VALUES, Variable
from schemas.types import CATEGORY_TYPES, VariableType
from schemas.variables import (
    INSTRUCTIONS_MAX,
    LABEL_MAX,
    VariableValidationError,
    variable_clean,
)


class VariableForm(forms.Form):
    key = forms.CharField(
        max_length=63,
        help_text="Column name in the dataset: lowercase, digits, underscores (sample_size).",
    )
    label = forms.CharField(max_length=LABEL_MAX, required=False, help_text="Readable name.")
    type = forms.ChoiceField(choices=VariableType.choices)
    instructions = forms.CharField(
        max_length=INSTRUCTIONS_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What to record and how: units, edge cases, what counts as absent.",
    )
    allowed_values = forms.CharField(
        required=False,
        # Every value at its longest, one per line; each is checked on its own after.
        max_length=MAX_ALLOWED_VALUES * (MAX_ALLOWED_VALUE_LENGTH + 2),
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Allowed values",
        help_text="One per line (category types only).",
    )
    synonyms = forms.CharField(
        required=False,
        max_length=MAX_ALLOWED_VALUES * 4 * (MAX_ALLOWED_VALUE_LENGTH + 2),
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Synonyms (optional)",
        help_text="Other words a quote may use for a value, one value per line: "
        "“Germany: FRG; Federal Republic”. Evidence checks accept them.",
    )
    required = forms.BooleanField(required=False, label="Every document must have a value")

    def __init__(
        self,
        *args,
        project: Project,
        instance: Variable | None = None,
        autofocus: bool = False,
        **kwargs,
    ):
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "key": instance.key,
                "label": instance.label,
                "type": instance.type,
                "instructions": instance.instructions,
                "allowed_values": "\n".join(instance.allowed_values),
                "synonyms": synonyms_text(instance.synonyms),
                "required": instance.required,
            }
        super().__init__(*args, **kwargs)
        self.project = project
        self.instance = instance
        suffix = f"-{instance.pk}" if instance else "-new"
        self.auto_id = f"id_%s{suffix}"
        # After an HTMX swap the browser's focus is lost; htmx moves it to [autofocus].
        if autofocus:
            self.fields["key"].widget.attrs["autofocus"] = True

    def full_clean(self) -> None:
        super().full_clean()
        if self.errors:
            first = next((name for name in self.fields if name in self.errors), None)
            for name, field in self.fields.items():
                field.widget.attrs.pop("autofocus", None)
                if name == first:
                    field.widget.attrs["autofocus"] = True

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        values = data.get("allowed_values", "")
        # The page hides this field for other types; values left in it from an earlier
        # choice of type are dropped rather than reported as an error.
        category = data.get("type") in CATEGORY_TYPES
        data["allowed_values"] = values.splitlines() if category else []
        data["synonyms"] = synonyms_parse(data.get("synonyms", "")) if category else {}
        try:
            self.cleaned_values = variable_clean(
                project=self.project, data=data, instance=self.instance
            )
        except VariableValidationError as exc:
            for field, messages in exc.errors.items():
                self.add_error(None if field not in self.fields else field, messages)
        return data


def synonyms_parse(text: str) -> dict[str, list[str]]:
    """“value: a; b” lines as ``{value: [a, b]}``; checked by ``variable_clean``."""
    synonyms: dict[str, list[str]] = {}
    for line in text.splitlines():
        value, _, words = line.partition(":")
        if value.strip():
            synonyms.setdefault(value.strip(), []).extend(words.split(";"))
    return synonyms


def synonyms_text(synonyms: dict[str, list[str]]) -> str:
    return "\n".join(f"{value}: {'; '.join(words)}" for value, words in synonyms.items())
