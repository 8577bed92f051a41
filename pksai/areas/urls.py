from django.urls import path

from pksai.areas import views

app_name = "areas"
urlpatterns = [
    path("areas/", views.area_browse, name="browse"),
    path("areas/<str:code>/", views.area_browse, name="detail"),
]
