"""What an export request may say, checked once for the API and the step-5 page (and the
two versions the API's comparison asks for).

The API answers a refusal as a 400 with details per field; the page reads the same
serializer from its form (an unticked box counts as false) and shows the same
sentences as messages.
"""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.fields import empty

from exports.models import Export
from exports.results import version_for
from exports.writers import BOOLEANS
from extractor.text import MAX_BIGINT
from projects.models import Project
from schemas.models import SchemaVersion


def _choose(values: list[str]) -> str:
    names = [value.upper() for value in values]
    listed = f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else names[0]
    return f"Choose {listed}."


FORMAT_MESSAGE = _choose(Export.Format.values)


class FormatDefaultBooleanField(serializers.BooleanField):
    """A boolean whose absence means "the default", from a form too: DRF reads a
    missing boolean of a form as false (an unticked box), which would turn the audit
    columns off for every XLSX exported from a page that does not send the field."""

    default_empty_html = empty


def version_asked(project: Project, number: str | int | None) -> SchemaVersion | None:
    """The version ``number`` names, else the current one, else the latest (None when
    the project has none). A number the project does not have is a ValidationError on
    ``schema_version``: asking for version 9 never silently gives version 2."""
    version = version_for(project, number)
    if version is None and number not in (None, ""):
        raise serializers.ValidationError(
            {"schema_version": [f"This project has no schema version {number}."]}
        )
    return version


class ExportCreateSerializer(serializers.Serializer):
    format = serializers.ChoiceField(
        choices=Export.Format.choices,
        error_messages={"required": FORMAT_MESSAGE, "invalid_choice": FORMAT_MESSAGE},
    )
    schema_version = serializers.IntegerField(required=False, min_value=1)
    include_evidence = serializers.BooleanField(
        required=False,
        default=False,
        help_text="`<key>__evidence` and `<key>__status` after each variable (the audit "
        "columns include both).",
    )
    include_audit = FormatDefaultBooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Per variable `<key>__model`, `<key>__human`, `<key>__review`, "
        "`<key>__status`, `<key>__confidence`, `<key>__evidence`. Absent or null: on for "
        "XLSX and JSON, off for CSV.",
    )
    bom = serializers.BooleanField(
        required=False, default=False, help_text="CSV only: start with a UTF-8 BOM for Excel."
    )
    layout = serializers.ChoiceField(
        choices=Export.Layout.choices,
        default=Export.Layout.WIDE,
        error_messages={"invalid_choice": "Choose wide or long."},
        help_text="wide: a row per document; long: a row per document and variable "
        "(document_id, document_name, variable, value, model_value, human_value, "
        "review_status, status, confidence, evidence, evidence_start, evidence_end).",
    )
    booleans = serializers.ChoiceField(
        choices=BOOLEANS,
        default="true_false",
        error_messages={"invalid_choice": "Choose true_false or 1_0."},
        help_text="CSV only: booleans as TRUE/FALSE or as 1/0 (what Stata reads as numbers).",
    )
    package_formats = serializers.ListField(
        child=serializers.ChoiceField(
            choices=["dta", "sav"],
            error_messages={"invalid_choice": "Choose dta or sav."},
        ),
        required=False,
        default=list,
        max_length=2,
        help_text="Package only: the dataset also as Stata and/or SPSS files, besides CSV "
        "and Parquet.",
    )
    include_texts = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Package only: the documents' texts in texts/ (by default nothing of a "
        "document beyond the quotes leaves).",
    )

    def validate(self, attrs: dict) -> dict:
        """Adds ``version``, the version to export (None when the project has none,
        which ``export_create`` refuses); needs ``context={"project": ...}``."""
        attrs["version"] = version_asked(self.context["project"], attrs.get("schema_version"))
        if attrs.get("format") == Export.Format.PACKAGE and attrs.get("layout") == "long":
            raise serializers.ValidationError(
                {"layout": ["A replication package holds the wide dataset; choose wide."]}
            )
        return attrs


class CompareQuerySerializer(serializers.Serializer):
    """``?a=&b=`` of the versions compared: two different version numbers."""

    a = serializers.IntegerField(
        min_value=1, max_value=MAX_BIGINT, help_text="The version compared from (a number)."
    )
    b = serializers.IntegerField(
        min_value=1, max_value=MAX_BIGINT, help_text="The version compared with (a number)."
    )

    def validate(self, attrs: dict) -> dict:
        if attrs["a"] == attrs["b"]:
            raise serializers.ValidationError({"b": ["Choose two different versions to compare."]})
        return attrs
