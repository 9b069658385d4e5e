"""Public URLs: the published reports by year and department, open data, health."""

from django.urls import include, path

from evaluations.documents import views as documents
from evaluations.public import attachments, comparison_views, data_views, targets, views

app_name = "evaluations"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("reports/<int:year>/", views.year_index, name="year"),
    # The year index's whole table (the page shows 100 rows at a time).
    path("reports/<int:year>/table.csv", data_views.year_table_csv, name="year_csv"),
    path("reports/<int:year>/<slug:department_code>/", views.report_detail, name="report"),
    path("reports/<int:year>/<slug:department_code>/targets/", targets.targets_view, name="targets"),
    # The approved 绩效目标表 as targets.docx and targets.pdf (before the catch-all below).
    path(
        "reports/<int:year>/<slug:department_code>/targets.<str:extension>",
        documents.targets_document, name="targets_document",
    ),
    path(
        "reports/<int:year>/<slug:department_code>/attachments/<int:pk>/",
        attachments.attachment, name="attachment",
    ),
    # The official files (docs/design.md, "Official documents"): report.docx, report.pdf,
    # self-evaluation.xlsx; any other name is a 404.
    path(
        "reports/<int:year>/<slug:department_code>/<str:filename>",
        documents.public_document, name="report_document",
    ),
    path("departments/<slug:department_code>/", views.department_detail, name="department"),
    path(
        "departments/<slug:department_code>/indicators/", comparison_views.department_indicators,
        name="department_indicators",
    ),
    path("rankings/<int:year>/", comparison_views.year_ranking, name="ranking"),
    path("language/", views.set_language, name="set_language"),
    path("", include("evaluations.public.data_urls")),
]
