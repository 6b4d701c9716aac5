"""The dashboard's figures as tables: the page's accessible tables and the CSV exports (cells made safe by
`alignment.spreadsheets.csv_safe`)."""

from datetime import timedelta

from alignment.sla import duration_describe

STEP_LABELS = {
    "captured": "Captured",
    "handed_off": "Handed off",
    "accepted": "Accepted",
    "qualified": "Qualified",
    "won": "Won",
}


def _pct(share):
    return "" if share is None else f"{share * 100:.1f}%"


def _duration(seconds):
    return "" if seconds is None else duration_describe(timedelta(seconds=seconds))


RESPONSE_LABELS = {
    "within_5_minutes": "Within 5 minutes",
    "within_1_hour": "5 minutes to 1 hour",
    "within_24_hours": "1 to 24 hours",
    "later": "Later",
}


def dashboard_tables(figures: dict) -> dict:
    """Each chart's numbers as `{name: {"title", "headers", "rows"}}`, in page order."""

    def funnel_rows(funnel):
        return [
            [STEP_LABELS[s["step"]], s["count"], _pct(s["conversion"]), "" if s["drop_off"] is None else s["drop_off"]]
            for s in funnel["steps"]
        ]

    funnel_headers = ["Step", "Leads", "Conversion from the step before", "Drop-off"]

    def revenue_rows(rows, key):
        return [[row[key], row["won"], row["revenue"]] for row in rows]

    return {
        "funnel": {
            "title": "Funnel: activity in the period",
            "headers": funnel_headers,
            "rows": funnel_rows(figures["funnel"]),
        },
        "cohort_funnel": {
            "title": "Funnel: cohort of leads captured in the period",
            "headers": funnel_headers,
            "rows": funnel_rows(figures["cohort_funnel"]),
        },
        "revenue_by_week": {
            "title": "Won revenue by week",
            "headers": ["Week of", "Won revenue", "Cumulative", "Goal path to date"],
            "rows": [
                [
                    w["week"],
                    w["revenue"],
                    "" if w["cumulative"] is None else w["cumulative"],
                    "" if w["goal_to_date"] is None else w["goal_to_date"],
                ]
                for w in figures["revenue_by_week"]
            ],
        },
        "quality_by_campaign": {
            "title": "Lead quality by campaign (current verdicts)",
            "headers": ["Campaign", "Good", "Bad", "Good share", "Bad share"],
            "rows": [
                [q["campaign"], q["good"], q["bad"], _pct(q["good_share"]), _pct(q["bad_share"])]
                for q in figures["quality_by_campaign"]
            ],
        },
        "rejection_reasons": {
            "title": "Rejection reasons (Pareto)",
            "headers": ["Reason", "Rejections", "Share", "Cumulative share"],
            "rows": [
                [r["label"], r["count"], _pct(r["share"]), _pct(r["cumulative_share"])]
                for r in figures["rejection_reasons"]
            ],
        },
        "speed_to_lead_by_rep": {
            "title": "Speed to lead by rep",
            "headers": ["Rep", "Answered", "Median", "90th percentile", "Within 5 minutes", "Within 1 hour"],
            "rows": [
                [
                    row["rep"]["name"],
                    row["answered"],
                    _duration(row["p50_seconds"]),
                    _duration(row["p90_seconds"]),
                    _pct(row["within_5_minutes"]),
                    _pct(row["within_1_hour"]),
                ]
                for row in figures["speed_to_lead"]["by_rep"]
            ],
        },
        "speed_to_lead_by_response": {
            "title": "Verdicts by time to first response",
            "headers": ["First response", "Answered", "Judged", "Good", "Good share", "Won", "Won share"],
            "rows": [
                [
                    RESPONSE_LABELS[row["bucket"]],
                    row["answered"],
                    row["judged"],
                    row["good"],
                    _pct(row["good_share"]),
                    row["won"],
                    _pct(row["won_share"]),
                ]
                for row in figures["speed_to_lead"]["by_response"]
            ],
        },
        "revenue_by_campaign": {
            "title": "Won revenue by campaign",
            "headers": ["Campaign", "Leads won", "Won revenue"],
            "rows": revenue_rows(figures["revenue_by_campaign"], "campaign"),
        },
        "revenue_by_source": {
            "title": "Won revenue by source",
            "headers": ["Source", "Leads won", "Won revenue"],
            "rows": revenue_rows(figures["revenue_by_source"], "label"),
        },
        "revenue_by_marketer": {
            "title": "Contribution per marketer (won revenue from the leads they captured)",
            "headers": ["Marketer", "Leads won", "Won revenue"],
            "rows": revenue_rows(figures["revenue_by_marketer"], "name"),
        },
        "revenue_by_rep": {
            "title": "Contribution per rep (won revenue of the leads they own)",
            "headers": ["Rep", "Leads won", "Won revenue"],
            "rows": revenue_rows(figures["revenue_by_rep"], "name"),
        },
    }
