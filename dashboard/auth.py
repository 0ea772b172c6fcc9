"""Who is looking: the dashboard password (Streamlit secrets) and the signed-in analyst's name.

One shared password guards the whole dashboard when ``password`` is set in the secrets.
Analysts give their name at sign-in; the label form (analyst corrections) appears only for a
viewer who signed in with the password and a name, and records that name as "by". Without a
password the dashboard stays read-only: no form at all.
"""

from __future__ import annotations

import streamlit as st

AUTHENTICATED = "jk_authenticated"
ANALYST = "jk_analyst"
NAME_LIMIT = 100


def secret_password() -> str | None:
    try:
        value = st.secrets.get("password")
    except Exception:  # noqa: BLE001 - no secrets file means no password configured
        return None
    return str(value) if value else None


def signed_in_analyst() -> str | None:
    """The name to record on a correction, or None when this viewer may not label."""
    if secret_password() is None or not st.session_state.get(AUTHENTICATED):
        return None
    name = str(st.session_state.get(ANALYST) or "").strip()
    return name or None
