"""APIs shared by both departments: the token, and who you are."""

from django.conf import settings
from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.authtoken.models import Token
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
    """`POST {username, password}` → `{token}` for `Authorization: Token <key>`.

    Failed attempts count towards the login lockout like the browser's; a locked-out account or
    address is answered 429 `locked_out`. With password login off (`ALIGNMENT_PASSWORD_LOGIN=0`)
    every request is answered 403 `password_login_disabled`."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        request=TokenObtainInputSerializer,
        responses={
            200: inline_serializer("TokenOutputSerializer", {"token": serializers.CharField()}),
            400: ErrorOutputSerializer,
            403: ErrorOutputSerializer,
            429: ErrorOutputSerializer,
        },
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        if not settings.ALIGNMENT_PASSWORD_LOGIN:
            raise exceptions.PermissionDenied(
                "Password login is turned off: sign in through single sign-on in the browser.",
                code="password_login_disabled",
            )
        data = TokenObtainInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # Django's own request, not DRF's wrapper: the login lockout marks it, and its middleware
        # answers a locked-out account with the API's 429 (alignment/lockout.py).
        user = authenticate(
            request=request._request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if user is None:
            raise serializers.ValidationError("Unable to log in with provided credentials.", code="authorization")
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


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
