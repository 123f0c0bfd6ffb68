"""Tariffs: how a charging session is priced (pure rules) and the operator's tariffs and plans."""
