"""Public, read-only evidence pages."""

from django.shortcuts import get_object_or_404, render

from evidence.models import Theme


def index(request):
    themes = Theme.objects.with_evidence()
    return render(request, "evidence/index.html", {"themes": themes})


def theme(request, slug):
    theme = get_object_or_404(Theme.objects.with_evidence(), slug=slug)
    return render(request, "evidence/theme.html", {"theme": theme})
