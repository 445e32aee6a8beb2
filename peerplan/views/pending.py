"""PENDING: stand-ins for pages the planning branch provides, so tracking pages can link to them.
The merger deletes this file and the marked block in peerplan/urls.py."""

from django.http import HttpResponse


def pending(request, **kwargs):
    return HttpResponse("pending")
