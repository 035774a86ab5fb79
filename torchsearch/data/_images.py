"""The ``images`` data set: a folder with one sub-folder of images per class.

Ported from Model Search's image provider with its limitations fixed
(docs/model_search.md, "Data"): any number of classes (the original was binary only),
pixels scaled to [0, 1] (the original fed raw 0..255 values), and a stratified, seeded
train/validation/test split. Images of any format Pillow reads are converted to
grayscale or RGB and resized to one size.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from torchsearch._errors import ConfigError
from torchsearch._errors import DataError
from torchsearch.blocks._contract import TensorSpec
from torchsearch.data._assemble import RawPart
from torchsearch.data._assemble import assemble
from torchsearch.data._files import readable_folder
from torchsearch.data._files import require
from torchsearch.data._provider import DataProvider
from torchsearch.data._provider import check_split_settings
from torchsearch.data._records import DataSplits

__all__ = ["IMAGE_EXTENSIONS", "ImageFolderProvider", "is_image_file", "read_images"]

IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp")
"""File name endings read as images (any case); other files are ignored."""


class ImageFolderProvider(DataProvider):
    """Reads ``path/<class>/<image>`` files (natural spec: image ``(C, H, W)``).

    Class names are the sub-folder names, in sorted order; files and folders whose names
    start with a dot are skipped.

    Args:
        path: the folder of class folders.
        channels: 1 for grayscale, 3 for RGB.
        image_size: ``[height, width]`` every image is resized to (or one int for square).
        validation_fraction: the share of each class carved for validation.
        test_fraction: the share of each class carved for test.
        seed: the seed of the carving.
    """

    name = "images"

    def __init__(
        self,
        path: str,
        channels: int = 3,
        image_size: int | Sequence[int] = (32, 32),
        validation_fraction: float = 0.15,
        test_fraction: float = 0.15,
        seed: int = 0,
    ) -> None:
        self.path = path
        if channels not in (1, 3) or isinstance(channels, bool):
            raise ConfigError(f"data=images: channels must be 1 or 3, got {channels!r}.")
        self.channels = int(channels)
        self.image_size = _check_size(image_size)
        self.validation_fraction, self.test_fraction, self.seed = check_split_settings(
            "images", validation_fraction, test_fraction, seed
        )

    def load(self) -> DataSplits:
        """Reads every image; the validation split is for selection, test for the report.

        Raises:
            DataError: the folder is missing, has no class folders, a class folder has no
                images, an image cannot be read, or there is only one class.
        """
        root = readable_folder(self.path, dataset="images", setting="path")
        files, labels, class_names = _list_images(root)
        height, width = self.image_size
        x = read_images(files, self.channels, (height, width))
        pool = RawPart(
            x,
            np.array(labels, dtype=np.int64),
            root.name,
            lambda i: str(files[i].relative_to(root)),
        )
        return assemble(
            "images",
            TensorSpec.image(self.channels, height, width),
            pool,
            validation_fraction=self.validation_fraction,
            test_fraction=self.test_fraction,
            seed=self.seed,
            class_names=class_names,
        )


def is_image_file(path: Path) -> bool:
    """Whether ``path`` is a file the image reader takes (by its extension; hidden files
    are not)."""
    return (
        path.suffix.lower() in IMAGE_EXTENSIONS
        and not path.name.startswith(".")
        and path.is_file()
    )


def read_images(files: Sequence[Path], channels: int, size: tuple[int, int]) -> np.ndarray:
    """The images in ``files`` as one ``(N, C, H, W)`` float32 array in [0, 1]: converted
    to grayscale (1 channel) or RGB (3) and resized to ``size`` (height, width), as the
    search saw them.

    Raises:
        DataError: Pillow is missing or a file cannot be read as an image.
    """
    image = require("PIL.Image", "pillow", dataset="images")
    height, width = size
    pixels = np.empty((len(files), height, width, channels), dtype=np.uint8)
    mode = "L" if channels == 1 else "RGB"
    for i, file in enumerate(files):
        pixels[i] = _read_image(image, file, mode, (width, height)).reshape(pixels.shape[1:])
    return pixels.transpose(0, 3, 1, 2).astype(np.float32) / 255.0


def _check_size(value: Any) -> tuple[int, int]:
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value, value)
    if (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and len(value) == 2
        and all(isinstance(d, numbers.Integral) and not isinstance(d, bool) for d in value)
        and all(d > 0 for d in value)
    ):
        return int(value[0]), int(value[1])
    raise ConfigError(f"data=images: image_size must be [height, width] in pixels, got {value!r}.")


def _list_images(root: Path) -> tuple[list[Path], list[int], list[str]]:
    classes = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    accepted = ", ".join(IMAGE_EXTENSIONS)
    if not classes:
        raise DataError(
            f"data=images: {root} has no class sub-folders; put each class's images in its "
            f"own folder ({root}/<class>/<image>), with names ending in {accepted}."
        )
    files: list[Path] = []
    labels: list[int] = []
    empty: list[str] = []
    for index, folder in enumerate(classes):
        found = sorted(p for p in folder.iterdir() if is_image_file(p))
        if not found:
            empty.append(folder.name)
        files.extend(found)
        labels.extend([index] * len(found))
    if len(empty) == len(classes):
        raise DataError(
            f"data=images: the class folders of {root} ({', '.join(c.name for c in classes)}) "
            f"hold no images; accepted file names end in {accepted}."
        )
    if empty:
        raise DataError(
            f"data=images: the class folder(s) {', '.join(empty)} of {root} hold no images; "
            f"add images (names ending in {accepted}) or remove the folder(s)."
        )
    return files, labels, [folder.name for folder in classes]


def _read_image(image: Any, file: Path, mode: str, size: tuple[int, int]) -> np.ndarray:
    try:
        with image.open(file) as img:
            return np.asarray(img.convert(mode).resize(size, image.Resampling.BILINEAR))
    except PermissionError:
        raise DataError(
            f"data=images: {file} cannot be read (permission denied); make it readable."
        ) from None
    except (OSError, ValueError, image.DecompressionBombError) as exc:
        raise DataError(
            f"data=images: {file} is not an image Pillow can read ({exc}); fix or remove it."
        ) from None
