"""Public URLs: the published reports by year and department, open data, health."""

from django.urls import include, path

from evaluations.public import comparison_views, views

app_name = "evaluations"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("reports/<int:year>/", views.year_index, name="year"),
    path("reports/<int:year>/<slug:department_code>/", views.report_detail, name="report"),
    path("departments/<slug:department_code>/", views.department_detail, name="department"),
    path(
        "departments/<slug:department_code>/indicators/", comparison_views.department_indicators,
        name="department_indicators",
    ),
    path("rankings/<int:year>/", comparison_views.year_ranking, name="ranking"),
    path("language/", views.set_language, name="set_language"),
    path("", include("evaluations.public.data_urls")),
]
