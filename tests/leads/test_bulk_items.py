"""A bulk capture's item means exactly what the same body sent to `POST /api/leads/` alone means:
the same lead stored from it, or the same errors in the same words."""

import json

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from leads.models import Lead

STORED = ("email", "name", "company", "title", "phone", "country", "region", "notes", "source", "estimated_value")


def bodies(campaign_id):
    return [
        # plain, and values the serializer reads in its own way
        {"email": " Ada@X.test ", "campaign": str(campaign_id), "name": "  Ada ", "country": "germany"},
        {"email": "b@x.test", "campaign": campaign_id, "estimated_value": 1000, "phone": 498912345},
        {"email": "c@x.test", "campaign": campaign_id, "estimated_value": "", "notes": "   ", "source": ""},
        {"email": "d@x.test", "campaign": campaign_id, "estimated_value": None, "industry": "Retail"},
        {"email": "e@x.test", "campaign": f" {campaign_id} ", "estimated_value": 12.25, "source": "event"},
        {"email": "f@x.test", "campaign": f"{campaign_id}.0", "estimated_value": " 1200.5 "},
        {"email": "g@x.test", "campaign": campaign_id, "estimated_value": "0001234.5", "country": "DEU"},
        {"email": "h@x.test", "campaign": campaign_id, "name": "Zoë Ångström ✓", "company": 'Acme\\Co "Ltd"'},
        {"email": "i@x.test", "campaign": campaign_id, "estimated_value": "9999999999.99", "region": "{Bavaria}"},
        {"email": "j@x.test", "campaign": campaign_id, "csrfmiddlewaretoken": "x"},
        # wrong
        {"email": "", "campaign": campaign_id},
        {"email": "   ", "campaign": campaign_id},
        {"email": "bad", "campaign": 999_999},
        {"campaign": campaign_id},
        {"email": "k@x.test"},
        {"email": "l@x.test", "campaign": True},
        {"email": "m@x.test", "campaign": "12a"},
        {"email": "n@x.test", "campaign": 999_999},
        {"email": "o@x.test", "campaign": campaign_id, "name": None},
        {"email": "p@x.test", "campaign": campaign_id, "name": "x" * 201},
        {"email": "q@x.test", "campaign": campaign_id, "name": "a\x00b"},
        {"email": "r@x.test", "campaign": campaign_id, "notes": "lone \ud800"},
        {"email": "s@x.test", "campaign": campaign_id, "estimated_value": "-1"},
        {"email": "t@x.test", "campaign": campaign_id, "estimated_value": "12345678901"},
        {"email": "u@x.test", "campaign": campaign_id, "estimated_value": "1.234"},
        {"email": "v@x.test", "campaign": campaign_id, "estimated_value": "NaN"},
        {"email": "w@x.test", "campaign": campaign_id, "estimated_value": True},
        {"email": "x@x.test", "campaign": campaign_id, "source": "WEB"},
        {"email": "y@x.test", "campaign": campaign_id, "source": "billboard"},
        {"email": "z@x.test", "campaign": campaign_id, "country": "Atlantis"},
        {"email": "za@x.test", "campaign": campaign_id, "status": "won", "owner": 1},
        {"email": "zb@x.test", "campaign": campaign_id, "name": ["Zb"]},
        {"email": "zc@x.test", "campaign": campaign_id, "name": True},
        {"email": "x" * 250 + "@x.test", "campaign": campaign_id},
        {"email": ["zd@x.test"], "campaign": campaign_id},
    ]


def post(client, path, body):
    # JSON as a client writes it, \\u escapes and all (a lone surrogate has no UTF-8 form)
    return client.post(path, json.dumps(body), content_type="application/json")


def stored_leads():
    return {values[0]: values for values in Lead.objects.values_list(*STORED, "industry__name")}


def test_each_bulk_item_means_what_the_same_body_alone_means(marketer, campaign):
    client = APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=marketer).key}")
    items = bodies(campaign.id)

    # when: the bodies in one bulk request, then (the leads gone again) each alone
    bulk = post(client, "/api/leads/bulk/", {"leads": items})
    from_bulk = stored_leads()
    Lead.objects.all().delete()
    alone = [post(client, "/api/leads/", item) for item in items]
    from_alone = stored_leads()

    # then
    assert bulk.status_code == 200, bulk.json()
    results = bulk.json()["results"]
    for item, result, response in zip(items, results, alone, strict=True):
        if response.status_code == 201:
            assert result["status"] == "created", (item, result)
        else:
            assert response.status_code == 400, (item, response.json())
            assert (result["status"], result["errors"]) == ("error", response.json()["fields"]), item
    assert sum(result["status"] == "created" for result in results) == 10
    assert from_bulk == from_alone
