"""Staff notes on a lead: append-only plain text."""
