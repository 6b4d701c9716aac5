import factory
from django.utils import timezone

from leads.models import Campaign, Lead, LeadScore, RoutingRule, Source
from tests.alignment.factories import MarketerFactory


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaign {n}")
    source = Source.WEB
    owner = factory.SubFactory(MarketerFactory)


class LeadFactory(factory.django.DjangoModelFactory):
    """A lead as stored, in status `new`. To move it along, call the services: they own the rules."""

    class Meta:
        model = Lead
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@company{n}.test")
    name = factory.Faker("name")
    company = factory.Sequence(lambda n: f"Company {n}")
    country = "DE"
    campaign = factory.SubFactory(CampaignFactory)
    source = factory.LazyAttribute(lambda lead: lead.campaign.source)
    captured_by = factory.LazyAttribute(lambda lead: lead.campaign.owner)
    captured_at = factory.LazyFunction(timezone.now)
    last_touch_at = factory.LazyAttribute(lambda lead: lead.captured_at)
    last_activity_at = factory.LazyAttribute(lambda lead: lead.captured_at)

    @factory.post_generation
    def score(obj, create, extracted, **kwargs):
        """Its score row, as capture writes one with every lead: `LeadFactory(score=0.8)` scores it."""
        if create:
            LeadScore.objects.create(lead=obj, score=extracted)


class RoutingRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoutingRule
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Rule {n}")

    @factory.post_generation
    def reps(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.reps.set(extracted)
