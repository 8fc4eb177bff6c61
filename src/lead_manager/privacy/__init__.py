"""Privacy duties: the notice and opt-in kept at intake, erasure, export and retention."""
