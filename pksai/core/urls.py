from django.urls import path

from pksai.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("my-queues/<slug:key>/", views.queue_view, name="queue"),
]
