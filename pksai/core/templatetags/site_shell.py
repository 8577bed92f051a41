"""The page shell: ``{% site_navigation as nav %}`` gives base.html the header's links."""

from django import template

from pksai.core.navigation import Navigation, navigation

register = template.Library()


@register.simple_tag(takes_context=True)
def site_navigation(context) -> Navigation | None:
    request = context.get("request")
    if request is None:  # a page rendered without a request has no header links
        return None
    return navigation(user=request.user, path=request.path)


@register.filter
def with_labels(cells, labels):
    """A table row's cells paired with their column headings, for ``data-label``:
    ``{% for label, cell in row|with_labels:table.columns %}``."""
    return zip(labels, cells, strict=False)
