"""One router per resource. Each router carries its full path (`/api/v1/...`), so the route
template that metrics and logs report is the one a client calls."""

API_PREFIX = "/api/v1"
