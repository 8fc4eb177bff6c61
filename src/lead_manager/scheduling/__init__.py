"""Work the dispatchers do on a schedule (escalations, digests, retention), once across processes."""
