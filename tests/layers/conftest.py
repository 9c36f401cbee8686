import pytest


@pytest.fixture(autouse=True, params=["fast", "reference"])
def path(request):
    """Every layer test runs twice: on the fast kernels and on the reference ops."""
    import striate

    with striate.reference(request.param == "reference"):
        yield request.param
