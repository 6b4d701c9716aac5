"""APIs shared by both departments: the token, and who you are."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from alignment.models import Role, User
from alignment.parsers import FormParser, JSONParser
from alignment.rest import ErrorOutputSerializer, InputSerializer


class TokenObtainInputSerializer(InputSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"}, trim_whitespace=False)


class TokenObtainApi(ObtainAuthToken):
    """`POST {username, password}` → `{token}` for `Authorization: Token <key>`."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        request=TokenObtainInputSerializer,
        responses={
            200: inline_serializer("TokenOutputSerializer", {"token": serializers.CharField()}),
            400: ErrorOutputSerializer,
            429: ErrorOutputSerializer,
        },
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        TokenObtainInputSerializer(data=request.data).is_valid(raise_exception=True)
        return super().post(request, *args, **kwargs)


class TeamRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class MeOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="display_name")
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices)
    team = TeamRefSerializer(allow_null=True)


class MeApi(APIView):
    """Who you are signed in as: for clients that need the caller's id, role and team."""

    @extend_schema(responses={200: MeOutputSerializer, 401: ErrorOutputSerializer})
    def get(self, request):
        user = User.objects.select_related("team").get(pk=request.user.pk)
        return Response(MeOutputSerializer(user).data)
