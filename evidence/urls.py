from django.urls import path

from evidence import views

app_name = "evidence"

urlpatterns = [
    path("", views.index, name="index"),
    path("themes/<slug:slug>/", views.theme, name="theme"),
]
