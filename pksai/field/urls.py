from django.urls import path

from pksai.field import views

app_name = "field"
urlpatterns = [
    path("conflicts/", views.conflict_list, name="conflicts"),
    path("conflicts/<int:pk>/resolve/", views.conflict_resolve, name="conflict_resolve"),
]
