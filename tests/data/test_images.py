"""The images data set: real PNG/JPEG/BMP files in class folders, written with Pillow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from torchsearch import DataError
from torchsearch import TensorSpec
from torchsearch.data import ImageFolderProvider

COLOURS = {"red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255)}


def _folder(
    root: Path, per_class: int = 4, classes: dict[str, tuple[int, int, int]] = COLOURS
) -> Path:
    """``root/<class>/<i>.png`` (also JPEG, BMP): tiny images of one colour, shaded by ``i``."""
    for name, colour in classes.items():
        folder = root / name
        folder.mkdir(parents=True)
        for i in range(per_class):
            size = (6 + i, 5)  # sizes differ: every image is resized
            suffix = (".png", ".JPG", ".bmp", ".png")[i % 4]
            shade = tuple(max(v - i, 0) for v in colour)  # tells the images apart
            Image.new("RGB", size, shade).save(folder / f"{i}{suffix}")
        (folder / "notes.txt").write_text("not an image")
    return root


def test_three_classes_rgb(tmp_path: Path) -> None:
    data = ImageFolderProvider(path=str(_folder(tmp_path / "imgs")), image_size=[4, 3]).load()
    assert data.input_spec == TensorSpec.image(3, 4, 3)
    assert data.class_names == ("blue", "green", "red")
    assert (len(data.train), len(data.validation), len(data.test)) == (6, 3, 3)
    for split in (data.train, data.validation, data.test):
        assert torch.bincount(split.y, minlength=3).min() >= 1  # stratified
    assert float(data.train.x.min()) >= 0.0 and float(data.train.x.max()) <= 1.0
    red = data.train.x[data.train.y == 2]
    assert torch.allclose(red[:, 0], torch.ones_like(red[:, 0]), atol=0.05)  # scaled, not 255
    assert torch.allclose(red[:, 1:], torch.zeros_like(red[:, 1:]), atol=0.05)


def test_grayscale_square_and_seeded(tmp_path: Path) -> None:
    root = str(_folder(tmp_path / "imgs", per_class=6))
    data = ImageFolderProvider(path=root, channels=1, image_size=5, seed=3).load()
    assert data.input_spec == TensorSpec.image(1, 5, 5)
    again = ImageFolderProvider(path=root, channels=1, image_size=5, seed=3).load()
    assert torch.equal(data.test.y, again.test.y) and torch.equal(data.test.x, again.test.x)
    others = [
        ImageFolderProvider(path=root, channels=1, image_size=5, seed=s).load() for s in range(3)
    ]
    assert any(not torch.equal(o.test.x, data.test.x) for o in others)
    assert data.to_kind("sequence").input_spec == TensorSpec.sequence(5, steps=5)


def test_folder_names_are_kept_as_class_names(tmp_path: Path) -> None:
    classes = {"10": (0, 0, 0), "2": (255, 255, 255)}
    data = ImageFolderProvider(path=str(_folder(tmp_path / "imgs", classes=classes))).load()
    assert data.class_names == ("10", "2")


# Bad input.


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"data=images: path=.*nowhere does not exist"):
        ImageFolderProvider(path=str(tmp_path / "nowhere")).load()


def test_a_file_instead_of_a_folder(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"x")
    with pytest.raises(DataError, match=r"is a file, not a folder"):
        ImageFolderProvider(path=str(tmp_path / "a.png")).load()


def test_no_class_folders(tmp_path: Path) -> None:
    Image.new("RGB", (4, 4)).save(tmp_path / "loose.png")
    with pytest.raises(DataError, match=r"has no class sub-folders; .*\.png"):
        ImageFolderProvider(path=str(tmp_path)).load()


def test_class_folders_without_images_list_the_extensions(tmp_path: Path) -> None:
    for name in ("cats", "dogs"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "readme.txt").write_text("no images here")
    with pytest.raises(DataError) as info:
        ImageFolderProvider(path=str(tmp_path)).load()
    assert "(cats, dogs) hold no images" in str(info.value)
    assert ".bmp, .gif, .jpeg, .jpg, .png, .tif, .tiff, .webp" in str(info.value)


def test_one_empty_class_folder(tmp_path: Path) -> None:
    _folder(tmp_path / "imgs")
    (tmp_path / "imgs" / "yellow").mkdir()
    with pytest.raises(DataError, match=r"class folder\(s\) yellow of .* hold no images"):
        ImageFolderProvider(path=str(tmp_path / "imgs")).load()


def test_one_class(tmp_path: Path) -> None:
    root = _folder(tmp_path / "imgs", classes={"red": (255, 0, 0)})
    with pytest.raises(DataError, match=r"imgs has only the class 'red'; .*at least two classes"):
        ImageFolderProvider(path=str(root)).load()


def test_class_too_small_to_split(tmp_path: Path) -> None:
    root = _folder(tmp_path / "imgs")
    (root / "pink").mkdir()
    for i in range(2):
        Image.new("RGB", (3, 3), (255, 100, 100)).save(root / "pink" / f"{i}.png")
    with pytest.raises(DataError, match=r"class 'pink' has only 2 example\(s\)"):
        ImageFolderProvider(path=str(root)).load()


def test_a_broken_image_is_named(tmp_path: Path) -> None:
    root = _folder(tmp_path / "imgs")
    (root / "red" / "broken.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(DataError, match=r"broken.png is not an image Pillow can read"):
        ImageFolderProvider(path=str(root)).load()


def test_pixels_match_the_file(tmp_path: Path) -> None:
    root = tmp_path / "imgs"
    for name, value in (("dark", 10), ("light", 200)):
        (root / name).mkdir(parents=True)
        for i in range(3):
            Image.fromarray(np.full((2, 2), value, dtype=np.uint8), "L").save(
                root / name / f"{i}.png"
            )
    data = ImageFolderProvider(path=str(root), channels=1, image_size=[2, 2]).load()
    light = data.train.x[data.train.y == 1]
    assert torch.allclose(light, torch.full_like(light, 200 / 255))
