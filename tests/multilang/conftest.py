import pytest

from tests.multilang.harness import Child


@pytest.fixture
def children():
    started: list[Child] = []
    yield started
    for child in started:
        child.stop()


@pytest.fixture(params=["json", "msgpack"])
def serializer(request):
    return request.param


@pytest.fixture
def spawn(serializer, children):
    """Start ``tests.multilang.components:<name>`` with the parametrized serializer."""

    def start(target: str, *extra: str, ser: str = "") -> Child:
        if ":" not in target:
            target = f"tests.multilang.components:{target}"
        child = Child(target, ser or serializer, extra)
        children.append(child)
        return child

    return start
