"""Small HTTP helpers shared by the planning views."""

from django.http import HttpResponseNotAllowed

SAFE = ("GET", "HEAD")


def only(request, *methods):
    """A 405 for any other method, or None. Views call it after the scoped loader, so an outsider
    gets the loader's 404 whatever the method and learns nothing from a 405."""
    if request.method not in methods:
        return HttpResponseNotAllowed(methods)
    return None
