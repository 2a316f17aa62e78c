"""The conformance kit, importable and loadable as a pytest plugin (`-p engine.testing`)
under the name province packages have used since the first release; it lives in
`engine.sdk.testing`."""

from engine.sdk.testing import (
    Conformance,
    ConformanceSuite,
    Failure,
    conformance,
    pytest_addoption,
    pytest_collection_modifyitems,
)

__all__ = [
    "Conformance",
    "ConformanceSuite",
    "Failure",
    "conformance",
    "pytest_addoption",
    "pytest_collection_modifyitems",
]
