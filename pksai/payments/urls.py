from django.urls import include, path

from pksai.payments import views, views_savings

app_name = "payments"

urlpatterns = [
    path("", views.cycles, name="cycles"),
    path("generate/", views.cycle_generate, name="cycle_generate"),
    path("cycles/<int:pk>/", views.cycle_detail, name="cycle"),
    path("cycles/<int:pk>/export/", views.batch_export, name="batch_export"),
    path("batches/<int:pk>/file/", views.batch_file, name="batch_file"),
    path("batches/<int:pk>/return/", views.batch_return, name="batch_return"),
    path("beneficiaries/<int:pk>/card/", views.card, name="card"),
    path("beneficiaries/<int:pk>/delivery/", views.delivery_set, name="delivery"),
    path("beneficiaries/<int:pk>/consents/", views.consents, name="consents"),
    path("cycles/<int:pk>/items/", views.items_record, name="items_record"),
    path("cycles/<int:pk>/savings-deposits/", views_savings.cycle_deposits, name="deposits"),
    path("savings/", views_savings.account_list, name="savings"),
    path("savings/open/", views_savings.account_open, name="savings_open"),
    path("savings/<int:pk>/", views_savings.account_detail, name="savings_account"),
    path("savings/<int:pk>/plans/", views_savings.plan_create, name="savings_plan"),
    path("savings/<int:pk>/withdraw/", views_savings.withdraw, name="savings_withdraw"),
    path("savings/plans/<int:pk>/approve/", views_savings.plan_approve, name="plan_approve"),
    path("reports/", include("pksai.payments.urls_reports")),
]
