"""Chinese first: the language is the visitor's explicit choice, never the browser's guess.

Django's LocaleMiddleware would serve English to every browser set to English, yet this is
a Chinese government disclosure site; English is offered through the language switcher.
"""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChosenLanguageMiddleware(LocaleMiddleware):
    """Use the language cookie when it names a supported language, else LANGUAGE_CODE."""

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        # The page depends on the cookie only; Accept-Language does not change it.
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
