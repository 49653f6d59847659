"""The webhook inbox: verify, store, acknowledge, then process exactly once."""
