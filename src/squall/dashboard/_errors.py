"""The dashboard's errors; the server turns each kind into an HTTP status."""

from __future__ import annotations

from squall.errors import SquallError


class DashboardError(SquallError):
    """The dashboard cannot start or cannot do what a request asked (HTTP 400)."""


class UnknownTopology(DashboardError):
    """No topology of that name is shown by this dashboard (HTTP 404)."""


class UnsupportedAction(DashboardError):
    """The engine behind the dashboard has no such action (HTTP 409)."""
