"""The integration fixtures (`stack`, `make_app`) of tests/integration, reused as they are."""

from tests.integration.conftest import make_app, stack  # noqa: F401
