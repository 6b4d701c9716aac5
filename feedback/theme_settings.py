"""Pain themes managed in the product: managers add, rename, retire and restore them, as they do
reason codes. Each change is audited. A theme is never deleted: retired, it is no longer offered on
the verdict form, while the verdicts that carry it keep it and voice of sales still counts them."""

from alignment.code_lists import CodeList
from alignment.errors import NotFound
from alignment.models import AuditArea, User
from feedback.models import PainTheme

PAIN_THEMES = CodeList(model=PainTheme, area=AuditArea.PAIN_THEME, noun="a pain theme", plural="pain themes")


def pain_theme_get(*, pk) -> PainTheme:
    theme = PainTheme.objects.filter(pk=pk).first()
    if theme is None:
        raise NotFound("No such pain theme.")
    return theme


def pain_theme_create(*, label: str, by: User, code: str = "") -> PainTheme:
    return PAIN_THEMES.create(label=label, by=by, code=code)


def pain_theme_rename(*, theme: PainTheme, label: str, by: User) -> PainTheme:
    """A new label for the same code: every verdict that carries it reads the new label."""
    return PAIN_THEMES.rename(row=theme, label=label, by=by)


def pain_theme_set_active(*, theme: PainTheme, active: bool, by: User) -> PainTheme:
    return PAIN_THEMES.set_active(row=theme, active=active, by=by)
