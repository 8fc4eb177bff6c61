"""Statistics about leads: counts, sources and response times, computed by the database."""
