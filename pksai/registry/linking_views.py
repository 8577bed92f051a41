"""The data officer's linkage review queue: pairs of records that may be the same person, side
by side, to link or keep apart; and taking one record out of an identity. Every decision is
audited and can be undone (pksai.registry.identities)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from pksai.accounts.scoping import require_perm
from pksai.audit.services import audit_record
from pksai.registry import identities, selectors
from pksai.registry.models import LinkCandidate

DECISIONS = {
    "link": (
        identities.candidate_link,
        gettext_lazy("Linked: the two records are now one person."),
    ),
    "apart": (
        identities.candidate_keep_apart,
        gettext_lazy("Kept apart: the two records stay two people, also after later imports."),
    ),
    "reopen": (
        identities.candidate_reopen,
        gettext_lazy("Decision undone: the pair is waiting for review again."),
    ),
}


@login_required
@require_GET
def match_list(request):
    status = request.GET.get("status", LinkCandidate.Status.PENDING)
    if status not in LinkCandidate.Status.values:
        status = LinkCandidate.Status.PENDING
    pairs = selectors.link_candidate_list(user=request.user, status=status)
    page = Paginator(pairs, 50).get_page(request.GET.get("page"))
    audit_record(
        action="view",
        object_type="registry.linkcandidate",
        object_repr=f"review queue ({status}), page {page.number}",
        detail={"pairs": [p.pk for p in page]},
    )
    return render(
        request,
        "registry/match_list.html",
        {"page": page, "status": status, "statuses": LinkCandidate.Status.choices},
    )


@login_required
@require_GET
def match_detail(request, pk: int):
    pair = selectors.link_candidate_get(user=request.user, pk=pk)
    audit_record(action="view", obj=pair)
    heads = selectors.household_heads([pair.left_id, pair.right_id])
    rows = [
        (_("Name"), pair.left.name, pair.right.name),
        (_("Birth date"), pair.left.birth_date, pair.right.birth_date),
        (_("Sex"), pair.left.get_sex_display(), pair.right.get_sex_display()),
        (_("NIK"), pair.left.nik or "—", pair.right.nik or "—"),
        (_("Village"), pair.left.village.name, pair.right.village.name),
        (_("Address"), pair.left.household.address or "—", pair.right.household.address or "—"),
        (
            _("Head of household and spouse"),
            ", ".join(heads.get(pair.left_id, [])) or "—",
            ", ".join(heads.get(pair.right_id, [])) or "—",
        ),
        (
            _("Source"),
            " ".join(filter(None, [pair.left.source, pair.left.edition])),
            " ".join(filter(None, [pair.right.source, pair.right.edition])),
        ),
    ]
    return render(
        request,
        "registry/match_detail.html",
        {
            "pair": pair,
            "rows": rows,
            "can_decide": request.user.has_perm(selectors.CHANGE_LINKS),
            "probability": round(pair.probability * 100),
        },
    )


@login_required
@require_POST
def match_decide(request, pk: int):
    pair = selectors.link_candidate_get(user=request.user, pk=pk)
    require_perm(request.user, selectors.CHANGE_LINKS)
    decision = request.POST.get("decision", "")
    if decision not in DECISIONS:
        messages.error(request, _("Choose whether the two records are the same person."))
        return redirect("registry:match_detail", pk=pair.pk)
    action, done = DECISIONS[decision]
    try:
        action(candidate=pair, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("registry:match_detail", pk=pair.pk)
    messages.success(request, done)
    return redirect("registry:match_list")


@login_required
@require_POST
def person_unlink(request, pk: int):
    person = selectors.person_get(user=request.user, pk=pk)
    require_perm(request.user, selectors.CHANGE_LINKS)
    try:
        identities.person_unlink(person=person, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request,
            _(
                "This record is now a person of its own, with its cases and programmes. The "
                "decision is in the review queue under “kept apart”, where it can be undone."
            ),
        )
    return redirect("vulnerability:child", person_id=person.pk)
