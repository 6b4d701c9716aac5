import factory

from alignment.models import Role, Team, Territory, User, Vertical


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")


class VerticalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vertical
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Vertical {n}")


class TerritoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Territory
        django_get_or_create = ("country", "region")

    country = "DE"
    region = ""


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@alignment.test")
    role = Role.MARKETER
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MarketerFactory(UserFactory):
    role = Role.MARKETER
    username = factory.Sequence(lambda n: f"marketer{n}")


class RepFactory(UserFactory):
    role = Role.REP
    username = factory.Sequence(lambda n: f"rep{n}")


class ManagerFactory(UserFactory):
    role = Role.MANAGER
    username = factory.Sequence(lambda n: f"manager{n}")
