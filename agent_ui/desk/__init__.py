"""The service desk's pages: ticket lists and tickets, over the CRM services."""

# The desk's entry pages, for the navigation bar: (path, label).
DESK_LINKS: list[tuple[str, str]] = [
    ("/desk/tickets", "Tickets"),
    ("/desk/customers", "Customers"),
    ("/desk/callbacks", "Callbacks"),
]
