"""Wizard pages of the processing app."""


app_name = "processing"

urlpatterns: list = []
