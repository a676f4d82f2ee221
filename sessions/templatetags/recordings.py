from django import template

from sessions.recordings import Player, player

register = template.Library()


@register.filter(name="player")
def player_filter(url: str) -> Player | None:
    """{% with player=talk.recording_url|player %}: where the recording plays, or None."""
    return player(url or "")
