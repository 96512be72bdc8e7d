"""The course's real datasets behind one loader.

>>> from cxacademy.data import load
>>> complaints = load("cfpb_complaints")

Every frame comes back with snake_case columns, parsed dates and typed categories,
validated against the dataset's declared pandera schema.
"""

from cxacademy.data.catalog import DATASETS, DatasetSpec
from cxacademy.data.loader import (
    DatasetError,
    DatasetFileError,
    UnknownDatasetError,
    catalogue,
    data_dir,
    load,
)

__all__ = [
    "DATASETS",
    "DatasetError",
    "DatasetFileError",
    "DatasetSpec",
    "UnknownDatasetError",
    "catalogue",
    "data_dir",
    "load",
]
