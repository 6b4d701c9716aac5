"""A small, separate Django project: an OpenID Connect provider (django-oauth-toolkit) that the
single sign-on tests start in a subprocess (`serve.py`) and sign in through, like a company's."""
