from django.apps import AppConfig


class LlmConfig(AppConfig):
    name = "extractor.llm"
    label = "llm"
    verbose_name = "LLM gateway"
