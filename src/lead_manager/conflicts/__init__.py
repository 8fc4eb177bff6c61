"""Conflicts of interest: the firm's register of parties, name matching, and the intake check."""
