import inspect

import squall.testing


def test_every_public_name_is_exported_once_and_documented():
    names = squall.testing.__all__
    assert len(names) == len(set(names))
    for name in names:
        obj = getattr(squall.testing, name)
        doc = inspect.getdoc(obj)
        assert doc and doc.split("\n")[0].strip(), f"squall.testing.{name} has no docstring"
