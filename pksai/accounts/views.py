from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from pksai.accounts import selectors
from pksai.accounts.forms import LoginForm
from pksai.accounts.models import Organisation


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


@login_required
def organisation_list(request):
    q = request.GET.get("q", "")
    kind = request.GET.get("kind", "")
    page = Paginator(selectors.organisation_list(user=request.user, q=q, kind=kind), 50).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "q": q, "kind": kind, "kinds": Organisation.Kind.choices}
    template = (
        "accounts/_organisation_rows.html" if request.htmx else "accounts/organisation_list.html"
    )
    return render(request, template, context)


@login_required
def organisation_detail(request, pk: int):
    organisation = selectors.organisation_get(user=request.user, pk=pk)
    return render(request, "accounts/organisation_detail.html", {"organisation": organisation})
