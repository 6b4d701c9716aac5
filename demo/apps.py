from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data: `seed_demo` (a small team and a few hundred leads through the services) and
    `generate_leads` (a dataset at scale, by bulk means). On the top floor; nothing imports it."""

    name = "demo"
