from django.urls import path

from pksai.areas import views

app_name = "areas"
urlpatterns = [
    path("areas/", views.area_browse, name="browse"),
    path("areas/suggest/", views.area_suggest, name="suggest"),
    path("areas/suggest/public/", views.area_suggest_public, name="suggest_public"),
    path("areas/<str:code>/", views.area_browse, name="detail"),
]
