import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from pksai.areas.models import ZONE_CHOICES


class Organisation(models.Model):
    """An office or institution a user works for: a district secretariat, a service provider,
    an LKSA, a payer, the ministry. Scoped by its area like everything else."""

    class Kind(models.TextChoices):
        SECRETARIAT = "secretariat", _("PKSAI secretariat (Dinas Sosial)")
        SERVICE_PROVIDER = "provider", _("service provider")
        LKSA = "lksa", _("child welfare institution (LKSA)")
        PAYER = "payer", _("payer")
        GOVERNMENT = "government", _("government office")
        MINISTRY = "ministry", _("ministry")
        OTHER = "other", _("other")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["area_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["area", "name"], name="organisation_unique_name_area")
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who signs in. Roles are groups; the area scope limits what they see."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    is_national = models.BooleanField(
        _("national scope"),
        default=False,
        help_text=_("Sees every area of Indonesia. Only for ministry-level roles."),
    )
    scope_areas = models.ManyToManyField(
        "areas.Area",
        verbose_name=_("area scope"),
        blank=True,
        related_name="+",
        help_text=_("Provinces, regencies, districts or villages this user works in."),
    )
    timezone = models.CharField(
        _("time zone"),
        max_length=32,
        choices=ZONE_CHOICES,
        blank=True,
        help_text=_("Empty: the zone of the user's first scope area."),
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def zone_name(self) -> str | None:
        if self.timezone:
            return self.timezone
        cached = getattr(self, "_zone_name", False)
        if cached is False:
            first = self.scope_areas.order_by("code").values_list("timezone", flat=True).first()
            cached = self._zone_name = first
        return cached


class ApiToken(models.Model):
    """A bearer token for an integration. It acts as its user, with that user's roles and scope.

    Only a SHA-256 digest is stored; the token itself is shown once, when it is issued.
    """

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("What the token is for."))
    prefix = models.CharField(_("prefix"), max_length=12, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        User,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def digest_of(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()


class OidcIdentity(models.Model):
    """A user's account at the OpenID Connect provider (single sign-on, decision 0021): the
    issuer and its stable subject identifier. Sign-ins find the user by this pair only."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="oidc_identities"
    )
    issuer = models.CharField(_("issuer"), max_length=255)
    subject = models.CharField(_("subject"), max_length=255)
    created_at = models.DateTimeField(_("linked"), auto_now_add=True)
    last_sign_in_at = models.DateTimeField(_("last single sign-on"), null=True, blank=True)

    class Meta:
        verbose_name = _("single sign-on identity")
        verbose_name_plural = _("single sign-on identities")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="oidc_identity_unique")
        ]

    def __str__(self) -> str:
        return f"{self.issuer} {self.subject}"


class SecurityKey(Device):
    """A WebAuthn credential (a security key or a passkey) used as a second factor.

    A django-otp ``Device`` so that a verified session means the same thing whichever factor
    was used (``request.user.is_verified()``); it has no token to type, so ``verify_token``
    stays False and verification goes through ``accounts.security_keys``."""

    credential_id = models.CharField(max_length=1400, unique=True, editable=False)
    public_key = models.BinaryField(editable=False)
    sign_count = models.PositiveBigIntegerField(default=0, editable=False)
    transports = models.JSONField(default=list, blank=True, editable=False)
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta(Device.Meta):
        verbose_name = _("security key")
        verbose_name_plural = _("security keys")
