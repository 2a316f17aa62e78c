"""Prefect flows over the engine's services (item lifecycles, deadlines, follow-up)."""
