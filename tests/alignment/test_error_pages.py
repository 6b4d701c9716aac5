def test_an_invisible_lead_page_is_a_friendly_404_with_the_way_home(client, rep):
    client.force_login(rep)

    response = client.get("/leads/999999/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"Not found" in response.content
    assert b'href="/"' in response.content


def test_an_unknown_api_url_answers_in_the_api_error_shape(client, rep):
    client.force_login(rep)

    response = client.get("/api/no-such-thing/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}
