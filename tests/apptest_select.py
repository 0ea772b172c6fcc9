"""Chart and table selections for AppTest, which has no API for them.

``select`` reruns the app as the browser does after a click: with the selection state of the
chart or table (its widget state, a JSON string) added to the other widgets' values, through
AppTest's own run path.
"""

from __future__ import annotations

import json
from typing import Any

from streamlit.proto.WidgetStates_pb2 import WidgetStates
from streamlit.testing.v1 import AppTest


def select(at: AppTest, element: Any, selection: dict[str, Any]) -> AppTest:
    """Rerun ``at`` as after a click that selected ``selection`` in ``element``."""
    states: WidgetStates = at._tree.get_widget_states()
    state = states.widgets.add()
    state.id = element.proto.id
    state.string_value = json.dumps({"selection": selection})
    return at._run(states)


def select_row(at: AppTest, element: Any, row: int) -> AppTest:
    return select(at, element, {"rows": [row], "columns": [], "cells": []})
