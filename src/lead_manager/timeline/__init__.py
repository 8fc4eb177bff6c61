"""A lead's timeline: one chronological view built from the rows already kept."""
