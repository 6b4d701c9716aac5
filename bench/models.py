"""The baseline's table: one row per request, one unique index, nothing else (created by the bench)."""

from django.db import models


class BareLead(models.Model):
    email = models.EmailField(max_length=254, unique=True)
    name = models.CharField(max_length=200, blank=True)

    class Meta:
        app_label = "bench"
