"""Alerts and scheduled briefs: rules evaluated after ingest, messages delivered once per event
through configured channels (email, webhooks, an Atom feed). See ``docs/alerts.md``."""
