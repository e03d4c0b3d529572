"""Wizard pages of the schemas app."""


app_name = "schemas"

urlpatterns: list = []
