"""The reason codes a rep may choose from."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from feedback.apis.common import ERRORS, ReasonOutputSerializer
from leads.selectors import reason_code_list


class ReasonCodeListApi(APIView):
    """The reason codes to choose from (active ones; `?all=true` adds the retired)."""

    @extend_schema(
        parameters=[OpenApiParameter("all", bool, required=False)],
        responses={200: ReasonOutputSerializer(many=True), **ERRORS},
    )
    def get(self, request):
        active_only = request.query_params.get("all") not in ("true", "1")
        return Response(ReasonOutputSerializer(reason_code_list(active_only=active_only), many=True).data)
