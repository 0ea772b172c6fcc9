"""The JSON bodies a webhook channel posts, one builder per ``format``, cut to each service's
limits. Pure: a message in, a dict out.

Text from feeds is untrusted: Slack mrkdwn gets its three control characters escaped, Discord is
told to ping no one (``allowed_mentions``), and Markdown link text has its brackets escaped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from jkwatch.alerts.message import ItemLink, Message

ELLIPSIS = "…"

# Published limits of each service (characters unless said otherwise).
SLACK_TEXT_MAX = 3000  # a section block's text; the top-level fallback text is kept to it too
SLACK_HEADER_MAX = 150
SLACK_BLOCKS_MAX = 50
DISCORD_CONTENT_MAX = 2000
DISCORD_EMBEDS_MAX = 10
DISCORD_EMBED_TITLE_MAX = 256
DISCORD_EMBED_DESCRIPTION_MAX = 4096
TEAMS_TEXT_MAX = 20_000  # Teams refuses messages over ~28 KB; leave room for the card
TEAMS_ITEMS_MAX = 20


def truncate(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def json_payload(message: Message) -> dict[str, Any]:
    """jkwatch's own shape (see ``docs/alert-channels.md``)."""
    return {
        "event_key": message.event_key,
        "kind": message.kind,
        "rule": message.rule,
        "subject": message.subject,
        "text": message.text,
        "created_at": _iso(message.created_at),
        "items": [
            {
                "id": item.item_id,
                "title": item.title,
                "url": item.url,
                "outlet": item.outlet,
                "published_at": _iso(item.published_at),
            }
            for item in message.items
        ],
        "data": message.data,
    }


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_item(item: ItemLink) -> str:
    title = _slack_escape(" ".join(item.title.split())).replace("|", "¦")
    meta = _slack_escape(f"{item.outlet}, {item.published_at:%Y-%m-%d}")
    if item.url:
        return f"• <{_slack_escape(item.url)}|{truncate(title, 300)}> ({meta})"
    return f"• {truncate(title, 300)} ({meta})"


def slack_payload(message: Message) -> dict[str, Any]:
    """A Slack incoming-webhook body: fallback ``text`` plus header, text and item blocks."""
    body = truncate(_slack_escape(message.text), SLACK_TEXT_MAX)
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": truncate(
                    " ".join(message.subject.split()) or "jkwatch alert", SLACK_HEADER_MAX
                ),
            },
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": body.strip() or "(no text)"}},
    ]
    lines = [_slack_item(item) for item in message.items]
    chunk: list[str] = []
    for line in lines:
        if len(blocks) >= SLACK_BLOCKS_MAX - 1:
            break
        if chunk and len("\n".join([*chunk, line])) > SLACK_TEXT_MAX:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(chunk)}})
            chunk = []
        chunk.append(line)
    if chunk and len(blocks) < SLACK_BLOCKS_MAX:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(chunk)}})
    fallback = truncate(_slack_escape(f"{message.subject}\n{message.text}"), SLACK_TEXT_MAX)
    return {"text": fallback, "blocks": blocks}


def discord_payload(message: Message) -> dict[str, Any]:
    """A Discord webhook body: ``content`` of at most 2000 characters, one embed per item (at
    most ten), and no mentions whatever the text says."""
    content = truncate(f"**{message.subject}**\n{message.text}", DISCORD_CONTENT_MAX)
    embeds: list[dict[str, Any]] = []
    for item in message.items[:DISCORD_EMBEDS_MAX]:
        embed: dict[str, Any] = {
            "title": truncate(
                " ".join(item.title.split()) or "(untitled)", DISCORD_EMBED_TITLE_MAX
            ),
            "description": truncate(item.outlet, DISCORD_EMBED_DESCRIPTION_MAX),
            "timestamp": _iso(item.published_at),
        }
        if item.url:
            embed["url"] = item.url
        embeds.append(embed)
    return {"content": content, "embeds": embeds, "allowed_mentions": {"parse": []}}


def _md_escape(text: str) -> str:
    for ch in "\\[]()*_`":
        text = text.replace(ch, "\\" + ch)
    return text


def teams_payload(message: Message) -> dict[str, Any]:
    """A Teams (Workflows) webhook body: one Adaptive Card with the subject, the text and the
    items as links."""
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": _md_escape(message.subject),
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        },
        {
            "type": "TextBlock",
            "text": _md_escape(truncate(message.text, TEAMS_TEXT_MAX)),
            "wrap": True,
        },
    ]
    for item in message.items[:TEAMS_ITEMS_MAX]:
        title = _md_escape(truncate(" ".join(item.title.split()), 300))
        meta = _md_escape(f"{item.outlet}, {item.published_at:%Y-%m-%d}")
        line = f"[{title}]({item.url.replace(')', '%29')})" if item.url else title
        body.append(
            {"type": "TextBlock", "text": f"{line} ({meta})", "wrap": True, "spacing": "Small"}
        )
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
        ],
    }


BUILDERS: dict[str, Callable[[Message], dict[str, Any]]] = {
    "json": json_payload,
    "slack": slack_payload,
    "discord": discord_payload,
    "teams": teams_payload,
}
