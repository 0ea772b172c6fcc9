"""A ``Message`` as the JSON the delivery ledger keeps, and back.

The ledger stores the message a rule built when the event was first seen, so a retry, a held
alert released after quiet hours or a second worker send exactly that message, without
evaluating the rule again (its data may have moved on).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jkwatch.alerts.message import ItemLink, Message


def to_payload(message: Message) -> dict[str, Any]:
    return {
        "event_key": message.event_key,
        "kind": message.kind,
        "rule": message.rule,
        "subject": message.subject,
        "text": message.text,
        "html": message.html,
        "created_at": message.created_at.isoformat(),
        "items": [
            {
                "item_id": link.item_id,
                "title": link.title,
                "url": link.url,
                "outlet": link.outlet,
                "published_at": link.published_at.isoformat(),
            }
            for link in message.items
        ],
        "data": message.data,
    }


def from_payload(payload: dict[str, Any]) -> Message:
    return Message(
        event_key=payload["event_key"],
        kind=payload["kind"],
        rule=payload["rule"],
        subject=payload["subject"],
        text=payload["text"],
        html=payload.get("html"),
        created_at=datetime.fromisoformat(payload["created_at"]),
        items=tuple(
            ItemLink(
                item_id=int(link["item_id"]),
                title=link["title"],
                url=link.get("url"),
                outlet=link["outlet"],
                published_at=datetime.fromisoformat(link["published_at"]),
            )
            for link in payload.get("items", [])
        ),
        data=dict(payload.get("data") or {}),
    )
