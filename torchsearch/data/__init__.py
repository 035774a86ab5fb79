"""Data: providers that turn a data set into in-memory train/validation/test tensors.

Every data set is a plugin registered in the entry-point group ``torchsearch.datasets``
and built from the config subtree ``data`` (``torchsearch data=csv data.path=a.csv``).
:meth:`DataProvider.load` returns :class:`DataSplits` in the data's natural layout;
``DataSplits.to_kind`` converts it to what a search space reads. The search selects on
the validation split only; the test split is for reporting the chosen model.

========  ======================  ==========================================
name      natural spec            default split (train / validation / test)
========  ======================  ==========================================
digits    image(1, 8, 8)          0.6 / 0.2 / 0.2, stratified, seed 0
diabetes  flat(10), regression    0.6 / 0.2 / 0.2, random, seed 0
mnist1d   flat(40)                3200 / 800 (0.2 of the 4000) / the 1000
csv       flat(F)                 0.7 / 0.15 / 0.15, or the given files
npz       by rank of ``x``        0.7 / 0.15 / 0.15, or the given arrays
images    image(C, H, W)          0.7 / 0.15 / 0.15
========  ======================  ==========================================
"""

from __future__ import annotations

from torchsearch._plugins import PluginLoadWarning
from torchsearch.data._csv import CsvProvider
from torchsearch.data._diabetes import DiabetesProvider
from torchsearch.data._digits import DigitsProvider
from torchsearch.data._images import IMAGE_EXTENSIONS
from torchsearch.data._images import ImageFolderProvider
from torchsearch.data._images import is_image_file
from torchsearch.data._images import read_images
from torchsearch.data._layout import convert_layout
from torchsearch.data._layout import describe_spec
from torchsearch.data._layout import plan_conversion
from torchsearch.data._mnist1d import Mnist1dProvider
from torchsearch.data._npz import NpzProvider
from torchsearch.data._provider import DataProvider
from torchsearch.data._records import DataSplits
from torchsearch.data._records import Split
from torchsearch.data._records import Standardization
from torchsearch.data._registry import ENTRY_POINT_GROUP
from torchsearch.data._registry import DatasetRegistry
from torchsearch.data._registry import DuplicateDatasetError
from torchsearch.data._registry import UnknownDatasetError
from torchsearch.data._registry import create_provider
from torchsearch.data._registry import dataset_provider
from torchsearch.data._registry import get_dataset_registry
from torchsearch.data._registry import list_datasets
from torchsearch.data._registry import load_dataset
from torchsearch.data._registry import provider_from_config
from torchsearch.data._registry import refresh_dataset_registry
from torchsearch.data._signature import data_signature
from torchsearch.data._table import read_table
from torchsearch.data._walk import RandomWalkProvider

__all__ = [
    "ENTRY_POINT_GROUP",
    "IMAGE_EXTENSIONS",
    "CsvProvider",
    "DataProvider",
    "DataSplits",
    "DatasetRegistry",
    "DiabetesProvider",
    "DigitsProvider",
    "DuplicateDatasetError",
    "ImageFolderProvider",
    "Mnist1dProvider",
    "NpzProvider",
    "PluginLoadWarning",
    "RandomWalkProvider",
    "Split",
    "Standardization",
    "UnknownDatasetError",
    "convert_layout",
    "create_provider",
    "data_signature",
    "dataset_provider",
    "describe_spec",
    "get_dataset_registry",
    "list_datasets",
    "load_dataset",
    "plan_conversion",
    "is_image_file",
    "provider_from_config",
    "read_images",
    "read_table",
    "refresh_dataset_registry",
]
