"""The province SDK: the package scaffold (`manzoori plugin new`), the conformance kit
(`engine.testing`, a pytest plugin) and the generated hook reference."""
