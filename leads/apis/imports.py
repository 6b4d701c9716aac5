"""CSV imports through the API: upload a file, then poll the job's progress."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from alignment.errors import InvalidInput, NotFound
from alignment.idempotency import IDEMPOTENCY_KEY, idempotent
from alignment.rest import ErrorOutputSerializer, InputSerializer, IsMarketerOrManager
from leads.apis.common import (
    ERRORS,
)
from leads.imports import (
    ImportTooLarge,
    import_failed_rows_response,
    import_job_create,
    import_job_get_for_user,
    import_max_bytes,
)
from leads.models import ImportStatus
from leads.selectors import campaign_get

# --- CSV import -------------------------------------------------------------------------------


class ImportJobCreateInputSerializer(InputSerializer):
    file = serializers.FileField(help_text="A UTF-8 CSV file with a header row and an `email` column.")
    campaign = serializers.IntegerField(help_text="The id of an active campaign.")


class ImportFailedRowOutputSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    values = serializers.ListField(child=serializers.CharField(allow_blank=True))


class ImportJobOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ImportStatus.choices)
    filename = serializers.CharField()
    percent = serializers.IntegerField()
    rows_created = serializers.IntegerField()
    rows_duplicate = serializers.IntegerField()
    rows_failed = serializers.IntegerField()
    errors = serializers.ListField(
        child=serializers.DictField(), help_text="The first 500 bad rows: `{line, reason}`; all are counted."
    )
    header = serializers.ListField(child=serializers.CharField(), help_text="The file's header row, as it was.")
    failed_rows = serializers.ListField(
        child=ImportFailedRowOutputSerializer(),
        help_text="The raw cells of each row in `errors`, under `header` (each cell up to 10,000 characters).",
    )
    message = serializers.CharField()
    url = serializers.SerializerMethodField(help_text="Where to poll the import's progress.")
    failed_rows_url = serializers.SerializerMethodField(
        help_text="The failed rows as a CSV file to fix and import again; null when no row failed."
    )

    def get_url(self, job) -> str:
        return reverse("leads-api:import-detail", args=[job.pk])

    def get_failed_rows_url(self, job) -> str | None:
        return reverse("leads-api:import-failed-rows", args=[job.pk]) if job.failed_rows else None


class ImportJobCreateApi(APIView):
    """Upload a CSV file of leads: 202 with the import job; poll its `url` for progress.

    The file streams to disk and into the database in chunks (never held in memory) and is imported
    by a worker. Files over ALIGNMENT_IMPORT_MAX_BYTES answer 413.
    """

    permission_classes = [IsMarketerOrManager]
    parser_classes = [MultiPartParser]
    throttle_scope = "import"

    def initial(self, request, *args, **kwargs):
        # Before authentication reads (and spools) the body: refuse a file that is too large at once.
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if request.method == "POST" and length > import_max_bytes() + 64 * 1024:
            raise ImportTooLarge(f"The file is too large: {import_max_bytes() // (1024 * 1024)} MB at most.")
        super().initial(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": ImportJobCreateInputSerializer},
        responses={202: ImportJobOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_KEY],
    )
    @idempotent
    def post(self, request):
        data = ImportJobCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            campaign = campaign_get(pk=data.validated_data["campaign"], active_only=True)
        except NotFound:
            raise InvalidInput(
                "Choose an active campaign.", fields={"campaign": ["No active campaign with this id."]}
            ) from None
        job = import_job_create(by=request.user, campaign=campaign, upload=data.validated_data["file"])
        return Response(ImportJobOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ImportJobDetailApi(APIView):
    """An import's progress and, once done, its per-row error report. Visible to its creator and managers."""

    @extend_schema(responses={200: ImportJobOutputSerializer, 401: ErrorOutputSerializer, 404: ErrorOutputSerializer})
    def get(self, request, pk):
        job = import_job_get_for_user(user=request.user, job_id=pk)
        return Response(ImportJobOutputSerializer(job).data)


class ImportFailedRowsApi(APIView):
    """The rows of an import that failed, as a CSV file under the file's own header, to fix and
    import again. Cells a spreadsheet would run as a formula are neutralised."""

    @extend_schema(
        responses={(200, "text/csv"): OpenApiTypes.STR, 401: ErrorOutputSerializer, 404: ErrorOutputSerializer}
    )
    def get(self, request, pk):
        job = import_job_get_for_user(user=request.user, job_id=pk)
        return import_failed_rows_response(job)
