from django.urls import path

from pksai.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("", views.subscriber_list, name="list"),
    path("new/", views.subscriber_new, name="new"),
    path("<int:pk>/", views.subscriber_detail, name="detail"),
    path("<int:pk>/rotate/", views.subscriber_rotate, name="rotate"),
    path("<int:pk>/approve/", views.subscriber_approve, name="approve"),
    path("<int:pk>/revoke/", views.subscriber_revoke, name="revoke"),
    path("deliveries/<int:pk>/replay/", views.delivery_replay, name="replay"),
]
