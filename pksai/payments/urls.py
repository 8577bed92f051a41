from django.urls import path

from pksai.payments import views

app_name = "payments"

urlpatterns = [
    path("", views.cycles, name="cycles"),
    path("generate/", views.cycle_generate, name="cycle_generate"),
    path("cycles/<int:pk>/", views.cycle_detail, name="cycle"),
    path("cycles/<int:pk>/export/", views.batch_export, name="batch_export"),
    path("batches/<int:pk>/file/", views.batch_file, name="batch_file"),
    path("batches/<int:pk>/return/", views.batch_return, name="batch_return"),
    path("beneficiaries/<int:pk>/card/", views.card, name="card"),
]
