"""Managers keep the list of pain themes in the product, as they keep reason codes: add, rename,
retire, restore, each audited; reps see retired themes leave their verdict form, not their verdicts."""

import pytest
from django.urls import reverse

from alignment.errors import InvalidInput, NotAllowed
from alignment.models import AuditEntry
from feedback.models import PainTheme
from feedback.services import verdict_give
from feedback.theme_settings import pain_theme_create, pain_theme_rename, pain_theme_set_active
from feedback.themes import pain_theme_active_codes
from tests.feedback.factories import accepted_lead


def test_a_manager_adds_a_theme_from_the_page_and_the_change_is_audited(client, manager):
    client.force_login(manager)
    response = client.post(reverse("feedback:pain-themes"), {"label": "Mobile access"}, follow=True)

    assert response.status_code == 200
    theme = PainTheme.objects.get(code="mobile_access")
    assert theme.label == "Mobile access" and theme.active
    assert b"Mobile access" in response.content
    assert "mobile_access" in pain_theme_active_codes()
    entry = AuditEntry.objects.get(area="pain_theme", action="created")
    assert entry.actor == manager and entry.changes["label"] == [None, "Mobile access"]


def test_a_taken_code_or_an_empty_label_is_a_clear_error_not_a_new_theme(client, manager):
    client.force_login(manager)
    before = PainTheme.objects.count()

    taken = client.post(reverse("feedback:pain-themes"), {"label": "Price again", "code": "price"})
    empty = client.post(reverse("feedback:pain-themes"), {"label": "   "})

    assert taken.status_code == 400 and b"Already in use" in taken.content
    assert empty.status_code == 400
    assert PainTheme.objects.count() == before


def test_renaming_keeps_the_code_and_every_verdict_reads_the_new_label(client, manager, marketer, rep):
    lead = accepted_lead(marketer=marketer, rep=rep)
    verdict = verdict_give(lead=lead, by=rep, verdict="good", pain_themes=["price"])
    theme = PainTheme.objects.get(code="price")
    client.force_login(manager)

    client.post(reverse("feedback:pain-theme-edit", args=[theme.pk]), {"action": "rename", "label": "Price, budget"})

    assert [t.label for t in verdict.pain_themes.all()] == ["Price, budget"]
    assert PainTheme.objects.get(pk=theme.pk).code == "price"
    entry = AuditEntry.objects.get(area="pain_theme", action="changed")
    assert entry.changes == {"label": ["Price", "Price, budget"]}


def test_a_retired_theme_is_no_longer_offered_but_stays_on_its_verdicts_and_comes_back(client, manager, marketer, rep):
    lead = accepted_lead(marketer=marketer, rep=rep)
    verdict = verdict_give(lead=lead, by=rep, verdict="good", pain_themes=["price"])
    theme = PainTheme.objects.get(code="price")
    client.force_login(manager)

    client.post(reverse("feedback:pain-theme-edit", args=[theme.pk]), {"action": "retire"})

    assert "price" not in pain_theme_active_codes()
    assert [t.code for t in verdict.pain_themes.all()] == ["price"]
    other = accepted_lead(marketer=marketer, rep=rep)
    with pytest.raises(InvalidInput) as error:
        verdict_give(lead=other, by=rep, verdict="good", pain_themes=["price"])
    assert "price" in str(error.value.fields["pain_themes"])
    page = client.get(reverse("feedback:pain-themes")).content.decode()
    assert "Retired" in page

    client.post(reverse("feedback:pain-theme-edit", args=[theme.pk]), {"action": "restore"})
    assert "price" in pain_theme_active_codes()
    assert AuditEntry.objects.filter(area="pain_theme", action="changed").count() == 2


def test_only_managers_manage_themes(client, marketer, rep):
    theme = PainTheme.objects.get(code="price")
    for user in (marketer, rep):
        with pytest.raises(NotAllowed):
            pain_theme_create(label="Anything", by=user)
        with pytest.raises(NotAllowed):
            pain_theme_rename(theme=theme, label="Anything", by=user)
        with pytest.raises(NotAllowed):
            pain_theme_set_active(theme=theme, active=False, by=user)
        client.force_login(user)
        assert client.get(reverse("feedback:pain-themes")).status_code == 403
        assert (
            client.post(reverse("feedback:pain-theme-edit", args=[theme.pk]), {"action": "retire"}).status_code == 403
        )
    assert PainTheme.objects.get(pk=theme.pk).active and PainTheme.objects.get(pk=theme.pk).label == "Price"


def test_an_unknown_theme_or_action_is_a_404_or_a_message_never_a_500(client, manager):
    theme = PainTheme.objects.get(code="price")
    client.force_login(manager)

    assert client.post(reverse("feedback:pain-theme-edit", args=[999999]), {"action": "retire"}).status_code == 404
    response = client.post(reverse("feedback:pain-theme-edit", args=[theme.pk]), {"action": "explode"}, follow=True)
    assert response.status_code == 200 and b"Choose rename, retire or restore" in response.content
    response = client.post(
        reverse("feedback:pain-theme-edit", args=[theme.pk]), {"action": "rename", "label": ""}, follow=True
    )
    assert response.status_code == 200 and b"needs a label" in response.content
    assert PainTheme.objects.get(pk=theme.pk).label == "Price"


def test_the_page_reads_the_same_number_of_queries_however_many_themes(client, manager):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(manager)
    client.get(reverse("feedback:pain-themes"))

    def queries():
        with CaptureQueriesContext(connection) as seen:
            assert client.get(reverse("feedback:pain-themes")).status_code == 200
        return len(seen.captured_queries)

    few = queries()
    for n in range(20):
        pain_theme_create(label=f"Theme {n}", by=manager)
    assert queries() == few
