from django.apps import AppConfig


class PagesConfig(AppConfig):
    """The web pages, and the admin site's registrations (a door, like the pages)."""

    name = "pages"
    verbose_name = "Pages"
