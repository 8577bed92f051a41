from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from pksai.messaging import catalogue
from pksai.messaging.contacts import mask
from pksai.messaging.models import ContactConsent, MessageTemplate


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ("code", "language", "channel", "version", "valid_from")
    list_filter = ("code", "language", "channel")
    readonly_fields = ("placeholders", "preview")
    fields = (
        "code",
        "language",
        "channel",
        "version",
        "valid_from",
        "subject",
        "text",
        "provider_template",
        "placeholders",
        "preview",
    )

    @admin.display(description=_("values it may use"))
    def placeholders(self, obj: MessageTemplate) -> str:
        kind = catalogue.KINDS.get(obj.code) if obj and obj.code else None
        return ", ".join(f"{{{p}}}" for p in kind.placeholders) if kind else "-"

    @admin.display(description=_("preview with sample values"))
    def preview(self, obj: MessageTemplate) -> str:
        kind = catalogue.KINDS.get(obj.code) if obj and obj.code else None
        if kind is None:
            return "-"
        subject = catalogue.render(obj.subject, kind.sample)
        text = catalogue.render(obj.text, kind.sample)
        return format_html(
            "{}<p style='white-space:pre-wrap;max-width:40em'>{}</p><small>{}</small>",
            format_html("<strong>{}</strong>", subject) if subject else "",
            text,
            _("%(n)d characters") % {"n": len(text)},
        )


@admin.register(ContactConsent)
class ContactConsentAdmin(admin.ModelAdmin):
    list_display = ("masked", "channel", "purpose", "given_at", "source", "withdrawn_at")
    list_filter = ("channel", "purpose", "source", "withdrawn_how")
    readonly_fields = ("recipient_hash", "withdrawn_at", "withdrawn_how")
    raw_id_fields = ("beneficiary", "user", "given_by")

    @admin.display(description=_("phone or e-mail"))
    def masked(self, obj: ContactConsent) -> str:
        return mask(obj.recipient)

    def save_model(self, request, obj, form, change):
        from pksai.messaging.contacts import contact_hash, normalise

        obj.recipient = normalise(obj.recipient)
        obj.recipient_hash = contact_hash(obj.recipient)
        if not change:
            obj.given_by = request.user
        super().save_model(request, obj, form, change)
