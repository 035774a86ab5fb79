"""Provider settings: unknown, missing and bad values are ConfigErrors naming the fix."""

from __future__ import annotations

import inspect

import pytest

from torchsearch import ConfigError
from torchsearch.data import CsvProvider
from torchsearch.data import DataProvider
from torchsearch.data import DataSplits
from torchsearch.data import DigitsProvider
from torchsearch.data import ImageFolderProvider
from torchsearch.data import Mnist1dProvider
from torchsearch.data import NpzProvider


def test_unknown_setting_lists_the_accepted_ones() -> None:
    with pytest.raises(ConfigError) as info:
        CsvProvider(pth="a.csv")
    message = str(info.value)
    assert "data=csv has no setting 'pth'. Did you mean path?" in message
    assert "path (required), label=None, header='auto', delimiter=','" in message


def test_missing_required_setting() -> None:
    with pytest.raises(ConfigError, match=r"data=images needs the setting path \(e.g. data.path"):
        ImageFolderProvider(channels=1)


def test_positional_settings_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"keyword settings only"):
        CsvProvider("a.csv")


@pytest.mark.parametrize(
    ("provider", "settings", "message"),
    [
        (DigitsProvider, {"validation_fraction": 1.5}, r"validation_fraction must be a number"),
        (DigitsProvider, {"test_fraction": True}, r"test_fraction must be a number"),
        (DigitsProvider, {"validation_fraction": 0.5, "test_fraction": 0.5}, r"leaves nothing"),
        (Mnist1dProvider, {"seed": "x"}, r"seed must be an integer"),
        (CsvProvider, {"path": "a", "header": "yes"}, r"header must be true, false or auto"),
        (CsvProvider, {"path": "a", "delimiter": ";;"}, r"delimiter must be one character"),
        (NpzProvider, {"path": "a", "image_shape": [1, 2]}, r"image_shape must be \[channels"),
        (ImageFolderProvider, {"path": "a", "channels": 2}, r"channels must be 1 or 3"),
        (ImageFolderProvider, {"path": "a", "image_size": [0, 3]}, r"image_size must be"),
    ],
)
def test_bad_values(provider: type[DataProvider], settings: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        provider(**settings)


def test_delimiter_names_and_given_files_relax_the_fractions() -> None:
    assert CsvProvider(path="a", delimiter="tab").delimiter == "\t"
    CsvProvider(path="a", validation_path="v", test_path="t", validation_fraction=0.9)


def test_settings_lists_defaults() -> None:
    assert DigitsProvider.settings() == {
        "validation_fraction": 0.2,
        "test_fraction": 0.2,
        "seed": 0,
    }
    assert CsvProvider.settings()["path"] is inspect.Parameter.empty


def test_a_provider_needs_load() -> None:
    class NoLoad(DataProvider):
        pass

    with pytest.raises(TypeError, match=r"abstract"):
        NoLoad()

    class Minimal(DataProvider):
        name = "minimal"

        def load(self) -> DataSplits:
            raise NotImplementedError

    assert repr(Minimal()) == "Minimal()"
    with pytest.raises(ConfigError, match=r"data=minimal has no setting 'x'.*no settings"):
        Minimal(x=1)
