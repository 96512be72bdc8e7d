"""Self-checks for lesson practice exercises, one module per lesson (see CONTRIBUTING.md)."""
