"""Pages anyone may read are sent gzipped to a browser that accepts it; pages with a person's plans or a form's
CSRF token never are (BREACH: peerplan.middleware.PublicPagesGZip)."""

import gzip

import pytest

pytestmark = pytest.mark.django_db

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}


def test_the_evidence_pages_are_sent_gzipped_to_a_browser_that_accepts_it(client):
    response = client.get("/evidence/", **GZIP)
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    page = gzip.decompress(response.content).decode()
    assert "<h1" in page and "csrfmiddlewaretoken" not in page
    assert len(response.content) < len(page) / 3


def test_a_browser_that_does_not_accept_gzip_gets_the_page_as_it_is(client):
    response = client.get("/evidence/")
    assert not response.has_header("Content-Encoding")
    assert "<h1" in response.content.decode()


def test_a_page_with_a_csrf_token_is_never_compressed(client):
    response = client.get("/accounts/login/", **GZIP)
    assert response.status_code == 200
    assert "csrfmiddlewaretoken" in response.content.decode()
    assert not response.has_header("Content-Encoding")


def test_a_signed_in_persons_pages_are_never_compressed(client, owner, active_checklist):
    client.force_login(owner)
    for url in ("/evidence/", "/app/", f"/app/checklists/{active_checklist.pk}/"):
        response = client.get(url, **GZIP)
        assert response.status_code == 200, url
        assert not response.has_header("Content-Encoding"), url
