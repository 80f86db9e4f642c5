"""The ``brains.npu`` package imports each exported name from its module on first use."""

from __future__ import annotations

import pytest

import brains.npu as npu


def test_every_exported_name_resolves_to_what_its_module_defines() -> None:
    for name in npu.__all__:
        value = getattr(npu, name)
        assert value.__name__ == name
        assert value.__module__.startswith("brains.npu.")


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        npu.Nope  # noqa: B018
