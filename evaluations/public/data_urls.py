"""URLs of data in and out; included from evaluations/urls.py, so names are evaluations:…"""

from django.urls import path

from evaluations.public import data_views

urlpatterns = [
    path("exports/templates/<slug:dataset>.csv", data_views.template, name="data_template"),
    path("exports/<slug:dataset>.csv", data_views.export_csv, name="exports"),
    path("data/", data_views.data_index, name="data_index"),
    path("data/<int:year>/datapackage.json", data_views.datapackage, name="datapackage"),
    path("data/<int:year>/<slug:dataset>.csv", data_views.data_csv, name="data_csv"),
]
