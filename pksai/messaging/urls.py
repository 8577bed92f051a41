from django.urls import path

from pksai.messaging import views

app_name = "messaging"

urlpatterns = [
    path("callback/<slug:channel>/", views.callback, name="callback"),
]
