from oauth2_provider.oauth2_validators import OAuth2Validator

# Group names on the provider's users that the claims read.
UNVERIFIED_GROUP = "unverified-email"
ROLE_GROUP_PREFIX = "role:"


class ClaimsValidator(OAuth2Validator):
    """Email, whether it is verified (not for members of the "unverified-email" group) and the role
    a "role:<name>" group gives (alone, and in a list of groups), in the ID token and from the
    userinfo endpoint."""

    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "alignment_role": "email", "groups": "email"}

    def get_additional_claims(self, request):
        groups = [group.name for group in request.user.groups.all()]
        claims = {"email": request.user.email, "email_verified": UNVERIFIED_GROUP not in groups}
        roles = [name.removeprefix(ROLE_GROUP_PREFIX) for name in groups if name.startswith(ROLE_GROUP_PREFIX)]
        if roles:
            claims["alignment_role"] = roles[0]
        # Many providers put roles in a list claim among other groups.
        claims["groups"] = ["everyone", *roles]
        return claims
