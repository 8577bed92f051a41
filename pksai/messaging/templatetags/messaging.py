from django import template

from pksai.messaging.selectors import history_for

register = template.Library()


@register.inclusion_tag("messaging/_history.html")
def message_history(record):
    """The messages sent (or not sent, and why) about this record: ``{% message_history
    complaint %}`` on a page that fetched the record through the user's scope."""
    return {"rows": history_for(record)}
