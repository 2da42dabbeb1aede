"""Platform adapters: each translates its platform's events into core requests and renders replies.

They hold no business logic; everything they know about a command comes from its declaration.
"""
