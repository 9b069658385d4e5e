"""/api/v1/: the read-only JSON API, its OpenAPI schema and its documentation page."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from evaluations.api import views
from evaluations.api.docs import SwaggerView

app_name = "api"

urlpatterns = [
    path("years/", views.YearList.as_view(), name="years"),
    path("departments/", views.DepartmentList.as_view(), name="departments"),
    path("reports/", views.ReportList.as_view(), name="reports"),
    path("reports/<int:year>/<slug:department_code>/", views.ReportDetail.as_view(), name="report"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI from the sidecar's static files; its script is a file too (CSP: no inline script);
    # above it the endpoints listed by the server, for readers without JavaScript (docs.py).
    path("", SwaggerView.as_view(url_name="api:schema"), name="docs"),
]
