"""The one way Alignment writes dates in English, on every page, table, audit entry and email:
`{{ day|date }}` is "7 Dec 2026", `{{ moment|date:"SHORT_DATETIME_FORMAT" }}` "7 Dec 2026, 14:05".
Django's own English formats ("Dec. 7, 2026") would otherwise win over the settings."""

DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
MONTH_DAY_FORMAT = "j M"
YEAR_MONTH_FORMAT = "F Y"
TIME_FORMAT = "H:i"
# What a date picker sends first, then the house format as people type it ("31 Dec 2026").
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d %b %Y"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%d %b %Y, %H:%M"]
FIRST_DAY_OF_WEEK = 1  # Monday, as the digest's weeks
