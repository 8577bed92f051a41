from django.db import models
from django.utils.translation import gettext_lazy as _

WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"
ZONE_CHOICES = [(WIB, _("WIB (UTC+7)")), (WITA, _("WITA (UTC+8)")), (WIT, _("WIT (UTC+9)"))]


class Area(models.Model):
    """An official Kemendagri area: province → regency/city → district → village.

    The primary key is the dotted Kemendagri code (``73.71.01.1001``), so an area scope is a
    code prefix and every table that hangs on an area can be scoped without a join.
    """

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("province")
        REGENCY = 2, _("regency/city")
        DISTRICT = 3, _("district (kecamatan)")
        VILLAGE = 4, _("village (desa/kelurahan)")

    code = models.CharField(_("code"), max_length=13, primary_key=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    name = models.CharField(_("name"), max_length=200)
    timezone = models.CharField(_("time zone"), max_length=32, choices=ZONE_CHOICES)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("False once the code is no longer in the source.")
    )

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["code"]
        indexes = [
            # Prefix (LIKE 'xx.yy.%') lookups on PostgreSQL need a pattern index.
            models.Index(
                fields=["code"], name="area_code_prefix", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["level", "name"], name="area_level_name"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def kind(self) -> str:
        """Kabupaten/Kota for regencies, Desa/Kelurahan for villages (from the code)."""
        if self.level == self.Level.REGENCY:
            return "Kota" if self.name.startswith("Kota ") else "Kabupaten"
        if self.level == self.Level.VILLAGE:
            return "Kelurahan" if self.code.split(".")[-1].startswith("1") else "Desa"
        return self.get_level_display()

    @property
    def title(self) -> str:
        """The name as people write it, with its kind once: "Kota Makassar", "Kabupaten Gowa",
        "Kecamatan Mariso", "Kelurahan Bontorannu"; provinces by their name. Regency names
        already start with Kota/Kabupaten, so the kind is not put in front a second time."""
        prefix = {
            self.Level.REGENCY: self.kind,
            self.Level.DISTRICT: "Kecamatan",
            self.Level.VILLAGE: self.kind,
        }.get(self.level, "")
        if not prefix or self.name.lower().startswith(prefix.lower() + " "):
            return self.name
        return f"{prefix} {self.name}"


class Boundary(models.Model):
    """The outline of one area for maps: its (simplified) polygons as GeoJSON coordinates in
    longitude/latitude, their bounding box, and where they came from under which licence.

    Loaded by ``pksai load-boundaries`` (``areas.boundaries``); drawn as server-side SVG by
    ``monitoring.maps``. One row per area; a reload replaces the row (``digest`` tells whether
    anything changed)."""

    area = models.OneToOneField(
        Area,
        verbose_name=_("area"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="boundary",
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=Area.Level.choices)
    # MultiPolygon coordinates: [[[ [lon, lat], … ] ring, …] polygon, …], rounded to 5 decimals
    geometry = models.TextField(_("geometry (GeoJSON coordinates)"))
    west = models.FloatField(_("west"))
    south = models.FloatField(_("south"))
    east = models.FloatField(_("east"))
    north = models.FloatField(_("north"))
    points = models.PositiveIntegerField(_("points after simplification"))
    source = models.CharField(_("source"), max_length=300)
    licence = models.CharField(_("licence"), max_length=200)
    digest = models.CharField(_("digest"), max_length=64)
    loaded_at = models.DateTimeField(_("loaded at"))

    class Meta:
        verbose_name = _("area boundary")
        verbose_name_plural = _("area boundaries")
        ordering = ["area_id"]
        indexes = [models.Index(fields=["level", "area"], name="boundary_level_area")]

    def __str__(self) -> str:
        return f"{self.area_id} ({self.points} points)"
