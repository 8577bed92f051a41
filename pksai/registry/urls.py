from django.urls import path

from pksai.registry import linking_views, views

app_name = "registry"
urlpatterns = [
    path("registry/imports/", views.import_list, name="import_list"),
    path("registry/imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("registry/imports/<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("registry/imports/<int:pk>/errors.csv", views.import_errors, name="import_errors"),
    path("registry/matches/", linking_views.match_list, name="match_list"),
    path("registry/matches/<int:pk>/", linking_views.match_detail, name="match_detail"),
    path("registry/matches/<int:pk>/decide/", linking_views.match_decide, name="match_decide"),
    path("registry/people/<int:pk>/unlink/", linking_views.person_unlink, name="person_unlink"),
]
