import factory

from pksai.accounts.models import Organisation, User
from pksai.accounts.services import user_create


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = Organisation.Kind.SECRETARIAT
    area_id = "73.71"


def make_user(
    username: str = "",
    *,
    roles=("coordinator",),
    scope=("73.71",),
    national: bool = False,
    password: str = "correct-horse-battery",
    **extra,
) -> User:
    make_user.counter = getattr(make_user, "counter", 0) + 1
    return user_create(
        username=username or f"user{make_user.counter}",
        password=password,
        roles=roles,
        scope_areas=() if national else scope,
        is_national=national,
        **extra,
    )
