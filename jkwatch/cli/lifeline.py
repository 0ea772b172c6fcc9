"""A child process that dies with its parent: the dashboard that ``jkwatch run`` starts.

``jkwatch run`` stops its dashboard in order when it is asked to stop (SIGINT, SIGTERM). When
it is killed outright (SIGKILL, the OOM killer) it cannot, and the dashboard, started in its
own session so a terminal's Ctrl-C reaches only ``run``, would be left serving. So the parent
names itself in the child's environment (``child_env``); the child (``jkwatch dashboard``,
before it becomes the Streamlit server) calls ``die_with_parent``, which asks the Linux kernel
to send it SIGTERM when that parent dies (``PR_SET_PDEATHSIG``, kept across ``exec``) and
exits at once if the parent is already gone. Elsewhere it does nothing (the orderly stop
still works).
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
from collections.abc import Mapping

PARENT_ENV = "JKWATCH_DIE_WITH_PARENT"
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>

log = logging.getLogger(__name__)


def child_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a child that must not outlive this process."""
    env = dict(os.environ if base is None else base)
    env[PARENT_ENV] = str(os.getpid())
    return env


def die_with_parent() -> None:
    """In the child: be sent SIGTERM when the parent named in the environment dies.

    The variable is removed, so the child's own children do not inherit the request. A
    process without it (a user's own ``jkwatch dashboard``) is left alone.
    """
    value = os.environ.pop(PARENT_ENV, None)
    if not value or not value.isdigit():
        return
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) != 0:
            log.warning("prctl(PR_SET_PDEATHSIG) failed: errno %s", ctypes.get_errno())
    if os.getppid() != int(value):
        # The parent died before the request was made: nobody is left to stop us.
        sys.exit(0)
