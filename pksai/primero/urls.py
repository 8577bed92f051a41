from django.urls import path

from pksai.primero import views

app_name = "primero"

urlpatterns = [
    path("cases/<int:pk>/primero/", views.case_send, name="send"),
    path("primero/import/", views.import_page, name="import"),
]
