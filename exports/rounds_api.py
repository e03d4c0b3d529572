"""Coding rounds in the REST API (paths and fields as in API.md's "Coding rounds").

Rounds are read by every member of their project; the owner creates them; each coder
reads and codes only their own items; the owner or the round's adjudicator adjudicates.
Anyone else gets 404, as for the project.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from exports import rounds
from exports.models import CodingItem, CodingRound
from extractor.api import Conflict
from extractor.fields import ValueField
from projects import access
from projects.api import DocumentRefSerializer
from projects.selectors import project_get_for_user, require_role
from schemas.inputs import SampleSizeField
from schemas.types import VariableType


def _round_for(request: Request, round_id: int, *, can: str = access.READ) -> CodingRound:
    """The round, in one of the user's projects (404 otherwise)."""
    coding_round = get_object_or_404(
        CodingRound.objects.for_user(request.user).select_related(
            "schema_version", "project", "adjudicator"
        ),
        pk=round_id,
    )
    if can != access.READ:
        require_role(request.user, coding_round.project, can)
    return coding_round


def _raise(exc: Exception):
    if isinstance(exc, rounds.RoundError):
        raise serializers.ValidationError(exc.errors) from None
    raise Conflict(str(exc), code=exc.code) from None


class CoderProgressSerializer(serializers.Serializer):
    username = serializers.CharField()
    coded = serializers.IntegerField()
    total = serializers.IntegerField()


class RoundSerializer(serializers.ModelSerializer):
    schema_version = serializers.IntegerField(source="schema_version.number", read_only=True)
    coders = serializers.SerializerMethodField()
    units = serializers.SerializerMethodField(help_text="Documents coded in the round.")
    variables = serializers.ListField(child=serializers.CharField(), read_only=True)
    documents = serializers.ListField(child=serializers.IntegerField(), read_only=True)
    adjudicator = serializers.CharField(
        source="adjudicator.username", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = CodingRound
        fields = [
            "id",
            "name",
            "status",
            "blind",
            "schema_version",
            "seed",
            "coders",
            "units",
            "variables",
            "documents",
            "adjudicator",
            "created_at",
            "completed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(CoderProgressSerializer(many=True))
    def get_coders(self, coding_round: CodingRound) -> list[dict]:
        return rounds.round_coders(coding_round)

    def get_units(self, coding_round: CodingRound) -> int:
        return len(coding_round.documents)


class RoundCreateSerializer(serializers.Serializer):
    coders = serializers.ListField(
        child=serializers.CharField(max_length=150), min_length=2, max_length=50
    )
    schema_version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    sample_size = SampleSizeField(required=False)
    document_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        allow_empty=False,
        max_length=10_000,
    )
    variables = serializers.ListField(
        child=serializers.CharField(max_length=63), required=False, allow_empty=False
    )
    blind = serializers.BooleanField(required=False, default=True)
    seed = serializers.IntegerField(required=False, min_value=0, max_value=2**62)
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    adjudicator = serializers.CharField(required=False, max_length=150)

    def validate(self, attrs: dict) -> dict:
        if attrs.get("sample_size") and attrs.get("document_ids"):
            raise serializers.ValidationError(
                {"document_ids": ["Send sample_size or document_ids, not both."]}
            )
        return attrs


@extend_schema_view(get=extend_schema(summary="The project's coding rounds, newest first"))
class RoundListView(generics.ListAPIView):
    serializer_class = RoundSerializer

    def get_queryset(self):
        project = project_get_for_user(self.request.user, self.kwargs["project_id"])
        return CodingRound.objects.filter(project=project).select_related(
            "schema_version", "adjudicator"
        )

    @extend_schema(
        summary="Create a coding round (the owner only)",
        request=RoundCreateSerializer,
        responses={201: RoundSerializer},
    )
    def post(self, request: Request, project_id: int) -> Response:
        project = project_get_for_user(request.user, project_id, can=access.MANAGE)
        body = RoundCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            coding_round = rounds.round_create(
                project=project, user=request.user, **body.validated_data
            )
        except rounds.RoundError as exc:
            _raise(exc)
        return Response(RoundSerializer(coding_round).data, status=status.HTTP_201_CREATED)


class RoundDetailView(APIView):
    @extend_schema(summary="A coding round and each coder's progress", responses=RoundSerializer)
    def get(self, request: Request, round_id: int) -> Response:
        return Response(RoundSerializer(_round_for(request, round_id)).data)


class RoundCloseView(APIView):
    @extend_schema(
        summary="End an open round as it stands (the owner only)",
        request=None,
        responses=RoundSerializer,
    )
    def post(self, request: Request, round_id: int) -> Response:
        coding_round = _round_for(request, round_id, can=access.MANAGE)
        try:
            coding_round = rounds.round_close(coding_round=coding_round, user=request.user)
        except rounds.RoundConflict as exc:
            _raise(exc)
        return Response(RoundSerializer(coding_round).data)


class RoundItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    document = DocumentRefSerializer()
    variable = serializers.CharField(source="variable_key")
    value = ValueField(allow_null=True, help_text="The caller's value.")
    coded = serializers.BooleanField()
    coded_at = serializers.DateTimeField(allow_null=True)
    model_value = ValueField(
        required=False,
        allow_null=True,
        help_text="Absent in a blind round until the item is coded.",
    )
    model_evidence = serializers.CharField(required=False)
    other_values = serializers.DictField(
        child=ValueField(allow_null=True),
        required=False,
        help_text="The other coders' values, once the item is coded.",
    )


def _item_payload(coding_round: CodingRound, item: CodingItem, *, reveal: bool = True) -> dict:
    payload = {
        "id": item.pk,
        "document": {"id": item.document_id, "name": item.document.name},
        "variable_key": item.variable_key,
        "value": item.value,
        "coded": item.coded,
        "coded_at": item.coded_at,
    }
    data = dict(RoundItemSerializer(payload).data)
    for hidden in ("model_value", "model_evidence", "other_values"):
        data.pop(hidden, None)  # absent, not null, until the round reveals them
    if reveal:
        data |= rounds.revealed(coding_round, item)
    return data


@extend_schema(
    summary="The caller's items of the round (blind: no model or other coder value)",
    parameters=[OpenApiParameter("status", enum=["open", "coded"])],
    responses=RoundItemSerializer(many=True),
)
class RoundItemListView(generics.GenericAPIView):
    serializer_class = RoundItemSerializer

    def get(self, request: Request, round_id: int) -> Response:
        coding_round = _round_for(request, round_id)
        items = rounds.coder_items(
            coding_round, request.user, status=request.query_params.get("status", "")
        )
        page = self.paginate_queryset(items)
        # A blind round reveals nothing in lists: a coder opens an item to see more.
        reveal = not coding_round.blind
        return self.get_paginated_response(
            [_item_payload(coding_round, item, reveal=reveal) for item in page]
        )


class RoundItemValueSerializer(serializers.Serializer):
    value = ValueField(allow_null=True)


class RoundItemDetailView(APIView):
    @extend_schema(summary="One of the caller's items", responses=RoundItemSerializer)
    def get(self, request: Request, round_id: int, item_id: int) -> Response:
        coding_round = _round_for(request, round_id)
        return Response(_item_payload(coding_round, self._item(request, coding_round, item_id)))

    @extend_schema(
        summary="Code an item (typed like the variable)",
        request=RoundItemValueSerializer,
        responses=RoundItemSerializer,
    )
    def put(self, request: Request, round_id: int, item_id: int) -> Response:
        coding_round = _round_for(request, round_id, can=access.CODE)
        item = self._item(request, coding_round, item_id)
        body = RoundItemValueSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            item = rounds.item_code(
                item=item, user=request.user, value=body.validated_data["value"]
            )
        except (rounds.RoundError, rounds.RoundConflict) as exc:
            _raise(exc)
        coding_round.refresh_from_db()
        return Response(_item_payload(coding_round, item))

    def _item(self, request: Request, coding_round: CodingRound, item_id: int) -> CodingItem:
        """The caller's own item: another coder's is absent (404)."""
        return get_object_or_404(
            CodingItem.objects.select_related("document", "round__schema_version"),
            pk=item_id,
            round=coding_round,
            coder=request.user,
        )


class KappaPairSerializer(serializers.Serializer):
    coders = serializers.ListField(child=serializers.CharField())
    kappa = serializers.FloatField(allow_null=True)
    n = serializers.IntegerField()


class ModelVsAdjudicatedSerializer(serializers.Serializer):
    agreement = serializers.FloatField(allow_null=True)
    kappa = serializers.FloatField(allow_null=True)
    n = serializers.IntegerField()


class VariableReliabilitySerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    type = serializers.ChoiceField(choices=VariableType.choices)
    level = serializers.ChoiceField(choices=["nominal", "interval"])
    units = serializers.IntegerField()
    coders = serializers.ListField(child=serializers.CharField())
    alpha = serializers.FloatField(allow_null=True)
    alpha_ci95 = serializers.ListField(child=serializers.FloatField(), allow_null=True)
    percent_agreement = serializers.FloatField(allow_null=True)
    kappa_pairs = KappaPairSerializer(many=True)
    fleiss_kappa = serializers.FloatField(allow_null=True)
    alpha_with_model = serializers.FloatField(allow_null=True)
    model_vs_adjudicated = ModelVsAdjudicatedSerializer(allow_null=True)


class ReliabilitySerializer(serializers.Serializer):
    variables = VariableReliabilitySerializer(many=True)


class RoundReliabilityView(APIView):
    @extend_schema(
        summary="Reliability per variable: Krippendorff's alpha with a bootstrap 95 % "
        "interval, agreement, kappas, alpha with the model",
        responses=ReliabilitySerializer,
    )
    def get(self, request: Request, round_id: int) -> Response:
        coding_round = _round_for(request, round_id)
        return Response({"variables": rounds.round_reliability(coding_round)})


class DisagreementSerializer(serializers.Serializer):
    document = DocumentRefSerializer()
    variable = serializers.CharField()
    type = serializers.ChoiceField(choices=VariableType.choices)
    values = serializers.DictField(child=ValueField(allow_null=True))
    model_value = ValueField(allow_null=True)
    model_evidence = serializers.CharField(allow_blank=True)
    adjudicated = serializers.BooleanField()
    adjudicated_value = ValueField(allow_null=True)


@extend_schema(
    summary="The units where coders disagree, with the model's value",
    responses=DisagreementSerializer(many=True),
)
class RoundDisagreementListView(generics.GenericAPIView):
    serializer_class = DisagreementSerializer

    def get(self, request: Request, round_id: int) -> Response:
        coding_round = _round_for(request, round_id)
        if rounds.values_hidden_from(coding_round, request.user):
            raise Conflict(rounds.BLIND_UNTIL_COMPLETED, code="round_blind")
        page = self.paginate_queryset(rounds.round_disagreements(coding_round))
        return self.get_paginated_response(DisagreementSerializer(page, many=True).data)


class AdjudicationSerializer(serializers.Serializer):
    document = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    variable = serializers.CharField(max_length=63)
    value = ValueField(allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class AdjudicationResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    document = serializers.IntegerField(source="document_id")
    variable = serializers.CharField(source="variable_key")
    value = ValueField(allow_null=True)
    note = serializers.CharField(allow_blank=True)
    decided_by = serializers.CharField(source="decided_by.username", allow_null=True)
    updated_at = serializers.DateTimeField()


class RoundAdjudicationView(APIView):
    @extend_schema(
        summary="Set the final value of a unit (the owner or the round's adjudicator)",
        request=AdjudicationSerializer,
        responses={201: AdjudicationResultSerializer},
    )
    def post(self, request: Request, round_id: int) -> Response:
        coding_round = _round_for(request, round_id, can=access.CODE)
        body = AdjudicationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            decision = rounds.adjudicate(
                coding_round=coding_round,
                user=request.user,
                document_id=data["document"],
                variable=data["variable"],
                value=data["value"],
                note=data.get("note", ""),
            )
        except (rounds.RoundError, rounds.RoundConflict) as exc:
            _raise(exc)
        return Response(AdjudicationResultSerializer(decision).data, status=status.HTTP_201_CREATED)
