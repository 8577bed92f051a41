from pksai.cases.tests.conftest import team  # noqa: F401  (the case-work team fixture)
