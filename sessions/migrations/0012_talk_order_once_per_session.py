from django.db import migrations, models


def renumber_shared_places(apps, schema_editor):
    """Before the constraint: talks that share a place (possible until now) get
    consecutive ones, in the order pages showed them (order, then pk)."""
    Talk = apps.get_model("nice_sessions", "Talk")
    clashing = (
        Talk.objects.values("session_id", "order")
        .annotate(count=models.Count("pk"))
        .filter(count__gt=1)
        .values_list("session_id", flat=True)
        .distinct()
    )
    for session_id in list(clashing):
        talks = list(Talk.objects.filter(session_id=session_id).order_by("order", "pk"))
        for talk in talks:
            talk.order += 10_000
        Talk.objects.bulk_update(talks, ["order"])
        for position, talk in enumerate(talks, start=1):
            talk.order = position
        Talk.objects.bulk_update(talks, ["order"])


class Migration(migrations.Migration):
    dependencies = [
        ("nice_sessions", "0011_reminders_and_rsvp_settings"),
        ("papers", "0006_rendered_markdown"),
    ]

    operations = [
        migrations.RunPython(renumber_shared_places, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="talk",
            constraint=models.UniqueConstraint(
                fields=("session", "order"),
                name="talk_order_once_per_session",
                violation_error_message="Two talks of a session cannot share a place.",
            ),
        ),
    ]
