from django.contrib import admin

from scoring.models import ScoreModel, ScoreWeight


class ScoreWeightInline(admin.TabularInline):
    model = ScoreWeight
    fields = ["feature", "value", "label", "judged", "good", "woe", "coefficient", "effect"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ScoreModel)
class ScoreModelAdmin(admin.ModelAdmin):
    """Read-only: models come from training, and only training decides which one serves."""

    list_display = ["version", "trained_at", "verdicts", "early", "active", "decision"]
    readonly_fields = [f.name for f in ScoreModel._meta.fields]
    inlines = [ScoreWeightInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
