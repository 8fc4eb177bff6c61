"""The transactional outbox: side effects written with the change that causes them."""
