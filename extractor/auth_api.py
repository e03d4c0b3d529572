"""The API's token endpoint: ``POST /api/v1/auth/token/`` with username and password.

Repeated wrong passwords are slowed down per client address and per account from that
address, with the same rules and counters as the log-in page
(:mod:`extractor.throttling`).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from extractor.throttling import (
    login_failure_record,
    login_success_record,
    login_wait_seconds,
    wait_message,
)


class TokenRequestSerializer(AuthTokenSerializer):
    """DRF's username/password check, refused outright while blocked."""

    # Django's usernames are at most 150 characters; no password manager makes one of
    # more than 4,096 (the hasher would still read a megabyte one through).
    username = serializers.CharField(label="Username", write_only=True, max_length=150)
    password = serializers.CharField(
        label="Password",
        style={"input_type": "password"},
        trim_whitespace=False,
        write_only=True,
        max_length=4096,
    )

    def validate(self, attrs: dict) -> dict:
        request = self.context["request"]
        username = attrs.get("username") or ""
        wait = login_wait_seconds(request=request, username=username)
        if wait:
            throttled = exceptions.Throttled(wait=wait)
            throttled.detail = exceptions.ErrorDetail(wait_message(wait), code="throttled")
            raise throttled
        try:
            attrs = super().validate(attrs)
        except serializers.ValidationError:
            if username and attrs.get("password"):
                login_failure_record(request=request, username=username)
            raise
        login_success_record(request=request, username=username)
        return attrs


class TokenView(APIView):
    """Exchange a username and password for the user's API token (created once)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Exchange a username and password for an API token",
        request=AuthTokenSerializer,
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
            400: OpenApiResponse(description="Missing or wrong username or password"),
            429: OpenApiResponse(
                description="Too many failed attempts from this address (for this "
                "account, or in all); "
                "the Retry-After header says when to try again"
            ),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})
