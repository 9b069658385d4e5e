"""How the API says no: a 400 naming the query parameter, and JSON for every other error.

Bad input is answered, never a 500: each parameter is checked before a query runs
(params.py), and a check that fails raises BadParameter with the parameter's name.
"""

from __future__ import annotations

from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.views import exception_handler as drf_exception_handler


class BadParameter(APIException):
    """A query parameter the endpoint does not read, or a value it cannot use."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "bad_parameter"

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__({"parameter": parameter, "detail": str(message)})
        self.parameter = parameter


def exception_handler(exc, context):
    """DRF's handler (JSON, Retry-After on 429), with every error answered ``no-store``:
    an error is about one request, and no cache should hand it to the next."""
    response = drf_exception_handler(exc, context)
    if response is not None:
        response["Cache-Control"] = "no-store"
    return response
