"""Webhooks: endpoints that receive lead events, signed per Standard Webhooks, via the outbox."""
