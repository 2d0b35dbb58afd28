//! Intentionally empty: this package only hosts the integration tests under `tests/`.
