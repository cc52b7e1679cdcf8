"""The desk menu's count of messages waiting for «Повторить» (a template global)."""

from __future__ import annotations

from jinja2 import pass_context
from jinja2.runtime import Context

from dispatcher.notify.deliveries import dead_letter_count


@pass_context
def dead_letters_waiting(context: Context) -> int:
    """Dead letters of the signed-in user's MO; 0 on a page without a user or a request."""
    request = context.get("request")
    user = context.get("user")
    mo_id = getattr(user, "mo_id", None)
    if request is None or mo_id is None:
        return 0
    services = request.app.state.services
    with services.db.session() as session:
        return dead_letter_count(session, {mo_id})
