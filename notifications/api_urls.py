from django.urls import path

app_name = "notifications_api"

urlpatterns: list = []
