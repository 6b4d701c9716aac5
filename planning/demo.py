"""Planning's part of the demo data: the themes of a demo verdict's pain points, campaign requests
in every status (one delivered, with its campaign's leads and an outcome), last week's meeting with
decisions and action items (one overdue) and this week's agenda. Everything through the services,
so the demo shows what the product does. Called by `seed_demo` inside its transaction."""

from datetime import timedelta

from django.utils import timezone

from alignment.models import Notification, Vertical
from feedback import services as feedback_services
from leads.capture import lead_capture
from leads.models import Source
from leads.services import lead_accept, lead_hand_off
from planning import meetings, services
from planning.campaigns import campaign_create
from planning.models import CampaignRequest

# Words in a pain point → the themes a rep would tag it with.
THEME_WORDS = {
    "report": ["reporting"],
    "support": ["support"],
    "systems": ["integration", "data_migration"],
    "quotes": ["time_to_value", "price"],
    "compliance": ["security_compliance"],
    "audit": ["security_compliance"],
    "stock": ["integration", "reporting"],
}


def pain_themes_for(pain_points: str) -> list[str]:
    text = (pain_points or "").lower()
    themes = []
    for word, codes in THEME_WORDS.items():
        if word in text:
            themes += [code for code in codes if code not in themes]
    return themes or ["price"]


def _request(rep, vertical, territory, title, themes, note, days_ahead=30):
    return services.campaign_request_file(
        by=rep,
        title=title,
        vertical=vertical,
        territory=territory,
        goal_leads=30,
        needed_by=timezone.localdate() + timedelta(days=days_ahead),
        pain_themes=themes,
        note=note,
    )


def planning_demo_seed(*, users: dict) -> None:
    """Requests in every status, a delivered one with an outcome, and two weeks of meetings."""
    if CampaignRequest.objects.exists():
        return
    marketer, rep, rep2, manager = users["marketer"], users["rep"], users["rep2"], users["manager"]
    before = Notification.objects.order_by("-id").values_list("id", flat=True).first() or 0
    software = Vertical.objects.get(name="Software")
    manufacturing = Vertical.objects.get(name="Manufacturing")
    retail = Vertical.objects.get(name="Retail")
    finance = Vertical.objects.get(name="Finance")

    _request(
        rep,
        manufacturing,
        "DE",
        "Shop-floor reporting for German plants",
        ["reporting", "integration"],
        "Three plant managers asked for live OEE dashboards this month.",
    )
    declined = _request(
        rep2,
        finance,
        "GB",
        "Compliance webinar for UK banks",
        ["security_compliance"],
        "Every call ends with questions about audits.",
    )
    services.campaign_request_decline(request=declined, by=marketer, reason="Covered by the autumn compliance series.")
    accepted = _request(
        rep2,
        retail,
        "US",
        "Store-ops bundle for US chains",
        ["integration", "price"],
        "Chains want POS integration before they sign.",
    )
    services.campaign_request_accept(request=accepted, by=marketer)
    started = _request(
        rep,
        software,
        "AT",
        "Austrian SaaS founders roundtable",
        ["onboarding", "time_to_value"],
        "Founders ask how fast they can go live.",
    )
    services.campaign_request_start(request=services.campaign_request_accept(request=started, by=marketer), by=marketer)

    delivered = _request(
        rep2,
        retail,
        "DE/Bavaria",
        "Bavarian retail chains: POS integration",
        ["integration", "reporting"],
        "Chains in Munich keep asking about POS integration.",
    )
    services.campaign_request_start(
        request=services.campaign_request_accept(request=delivered, by=marketer), by=marketer
    )
    campaign = campaign_create(
        by=marketer, name="Bavarian retail – POS integration", source=Source.EVENT, request=delivered
    )
    for n in range(6):
        lead, _ = lead_capture(
            data={
                "email": f"buyer{n}@chain{n}.bavaria.example",
                "name": f"Buyer {n}",
                "company": f"Kette {n} GmbH",
                "country": "DE",
                "region": "Bavaria",
                "industry": retail.name,
            },
            campaign=campaign,
            by=marketer,
        )
        lead_hand_off(lead=lead, note="Met at the retail fair in Munich; asked about POS integration.", by=marketer)
        lead.refresh_from_db()
        if n < 4:
            lead_accept(lead=lead, by=rep2)
            good = n < 3
            feedback_services.verdict_give(
                lead=lead,
                by=rep2,
                verdict="good" if good else "bad",
                reason=None if good else "timing",
                pain_points="Their POS and the ERP do not talk to each other.",
                pain_themes=["integration"],
            )
    services.campaign_request_refresh(request=delivered)

    today = timezone.localdate()
    last = meetings.meeting_get_or_create(week=today - timedelta(days=7))
    this = meetings.meeting_get_or_create(week=today)
    meetings.meeting_item_add(
        meeting=last, by=manager, kind="decision", text="Marketing builds the Bavarian POS campaign."
    )
    meetings.meeting_item_add(
        meeting=last, by=marketer, kind="note", text="Webinar leads in Finance are judged bad for timing."
    )
    meetings.action_item_create(
        by=manager,
        title="Send the chains the POS integration one-pager",
        owner=rep2,
        due=today - timedelta(days=2),
        meeting=last,
        request=delivered,
    )
    meetings.action_item_create(
        by=manager,
        title="Check the Finance webinar's audience list",
        owner=marketer,
        due=today + timedelta(days=3),
        meeting=last,
    )
    meetings.meeting_item_add(
        meeting=this, by=rep, kind="agenda", text="Plant managers want OEE dashboards: a campaign?"
    )
    # The demo's story is told in the app: none of its notifications goes out as mail.
    Notification.objects.filter(id__gt=before).update(email_sent_at=timezone.now())


# Of the generated verdicts, the share that names themes (as the demo's do), and how many requests
# per thousand leads (at least one per status): a million leads get a couple of hundred requests.
GENERATED_THEMED_SHARE = 3  # one verdict in three
REQUESTS_PER_THOUSAND_LEADS = 0.2


def generated_planning_add(*, leads: int, rng) -> int:
    """`generate_leads`' planning data: themes on a third of the current verdicts that have none
    (one INSERT … SELECT, a theme chosen by the verdict's id), and campaign requests by the
    generated reps for their segments, in every status. Returns the requests filed."""
    from django.db import connection

    from alignment.models import Role, User
    from feedback.models import PainTheme, Verdict
    from leads.models import Campaign, Lead

    through = Verdict.pain_themes.through
    themes = list(PainTheme.objects.filter(active=True).order_by("position").values_list("id", flat=True))
    if themes and connection.vendor != "postgresql":
        ids = Verdict.objects.filter(current=True, pain_themes__isnull=True).values_list("id", flat=True)
        rows = [through(verdict_id=pk, paintheme_id=themes[pk % len(themes)]) for pk in ids if pk % 3 == 0]
        through.objects.bulk_create(rows, batch_size=5000)
    elif themes:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {through._meta.db_table} (verdict_id, paintheme_id) "
                f"SELECT v.id, (%s::bigint[])[1 + (v.id %% %s)] FROM {Verdict._meta.db_table} v "
                f"WHERE v.current AND v.id %% %s = 0 "
                f"AND NOT EXISTS (SELECT 1 FROM {through._meta.db_table} t WHERE t.verdict_id = v.id)",
                [themes, len(themes), GENERATED_THEMED_SHARE],
            )
    reps = list(User.objects.filter(username__startswith="gen-rep-", is_active=True).order_by("id"))
    marketer = User.objects.filter(username__startswith="gen-marketer-", role=Role.MARKETER).order_by("id").first()
    segments = list(
        Lead.objects.exclude(industry__isnull=True)
        .exclude(country="")
        .values_list("industry_id", "country")
        .distinct()[:200]
    )
    if not reps or not marketer or not segments:
        return 0
    wanted = max(5, int(leads * REQUESTS_PER_THOUSAND_LEADS / 1000))
    campaign = Campaign.objects.filter(owner=marketer).order_by("id").first()
    codes = list(PainTheme.objects.filter(active=True).values_list("code", flat=True))
    for n in range(wanted):
        vertical_id, country = rng.choice(segments)
        request = _request(
            rng.choice(reps),
            Vertical.objects.get(pk=vertical_id),
            country,
            f"Generated request {n + 1}",
            rng.sample(codes, k=min(2, len(codes))),
            "Generated by generate_leads.",
        )
        step = n % 5  # new, declined, accepted, in progress, delivered
        if step == 1:
            services.campaign_request_decline(request=request, by=marketer, reason="Not this quarter.")
        elif step >= 2:
            services.campaign_request_accept(request=request, by=marketer)
        if step >= 3:
            services.campaign_request_start(request=request, by=marketer)
        if step == 4 and campaign is not None:
            services.campaign_request_deliver(request=request, by=marketer, campaign=campaign)
    return wanted
