"""``python manage.py simulate_llm --port 8765``: run the simulated model provider."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from extractor.simulator.config import add_arguments, config_from_arguments
from extractor.simulator.server import serve


class Command(BaseCommand):
    help = (
        "Serve an OpenAI-compatible simulated model (POST /v1/chat/completions, "
        "GET /v1/models) with optional latency, rate limits and injected faults."
    )
    requires_system_checks = []  # a tool: it must start even while the app is misconfigured

    def add_arguments(self, parser) -> None:
        add_arguments(parser)

    def handle(self, *args, **options) -> None:
        try:
            config = config_from_arguments(options)
        except (TypeError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        serve(config, out=self.stdout)
