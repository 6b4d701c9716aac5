"""`python -m tests.oidc_provider.serve PORT DATA_DIR`: set up the test provider and serve it.

Generates the RSA key the ID tokens are signed with, migrates a fresh SQLite database in DATA_DIR,
adds the people below and one confidential client that is approved without asking, then serves on
127.0.0.1:PORT until stopped. The client's id and secret come from OIDC_PROVIDER_CLIENT_ID and
OIDC_PROVIDER_CLIENT_SECRET.
"""

import os
import sys

PASSWORD = "corp-password"
# username: (email, groups) — see claims.py for what the groups mean.
PEOPLE = {
    "ada": ("ada@example.com", []),
    "newbie": ("newbie@example.com", ["role:rep"]),
    "plain": ("plain@example.com", []),
    "unverified": ("unverified@example.com", ["unverified-email"]),
    # Longer than a username may be.
    "long": ("l" * 150 + "@example.com", ["role:rep"]),
}
# Where the client under test may be sent back to: its live server on localhost or 127.0.0.1 on any
# port, and Django's test client.
REDIRECT_URIS = " ".join(f"http://{host}/oidc/callback/" for host in ("localhost", "127.0.0.1", "testserver"))


def rsa_private_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def seed() -> None:
    from django.contrib.auth.models import Group, User
    from oauth2_provider.models import Application

    for username, (email, groups) in PEOPLE.items():
        user = User.objects.create_user(username, email=email, password=PASSWORD)
        user.groups.set([Group.objects.get_or_create(name=name)[0] for name in groups])
    Application.objects.create(
        name="Alignment",
        client_id=os.environ["OIDC_PROVIDER_CLIENT_ID"],
        client_secret=os.environ["OIDC_PROVIDER_CLIENT_SECRET"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=REDIRECT_URIS,
        skip_authorization=True,
        algorithm=Application.RS256_ALGORITHM,
    )


def main(port: str, data_dir: str) -> None:
    os.environ["OIDC_PROVIDER_DIR"] = data_dir
    os.environ["OIDC_PROVIDER_RSA_KEY"] = rsa_private_key_pem()
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_provider.settings"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    seed()
    call_command("runserver", f"127.0.0.1:{port}", use_reloader=False, skip_checks=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
