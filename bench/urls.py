"""The app's URLs plus the baseline: a bare DRF CreateAPIView of one table, same authentication,
permission and throttle classes as the app's API (bench-only; never in alignment/urls.py)."""

from django.urls import include, path
from rest_framework import generics, serializers

from bench.models import BareLead


class BareLeadSerializer(serializers.ModelSerializer):
    class Meta:
        model = BareLead
        fields = ["id", "email", "name"]


class BareLeadCreateApi(generics.CreateAPIView):
    queryset = BareLead.objects.all()
    serializer_class = BareLeadSerializer


urlpatterns = [
    path("bench/bare/", BareLeadCreateApi.as_view()),
    path("", include("alignment.urls")),
]
