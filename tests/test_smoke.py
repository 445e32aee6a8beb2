def test_the_home_page_leads_to_the_evidence_and_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b'href="/evidence/"' in response.content
    assert b'href="/accounts/login/"' in response.content


def test_healthz_answers_ok_when_the_database_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
