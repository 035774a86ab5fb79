"""Using a searched model: the program it is exported as (raw inputs in, with the data's
preprocessing inside), its card (input columns or image size, class names, provenance),
:func:`load_model` and the ``torchsearch-predict`` command."""

from torchsearch.predict._card import CARD_FORMAT
from torchsearch.predict._card import ModelCard
from torchsearch.predict._card import ModelFileError
from torchsearch.predict._export import RawInputModel
from torchsearch.predict._export import export_model
from torchsearch.predict._inputs import read_inputs
from torchsearch.predict._predictor import MODEL_FILE
from torchsearch.predict._predictor import Predictor
from torchsearch.predict._predictor import load_model

__all__ = [
    "CARD_FORMAT",
    "MODEL_FILE",
    "ModelCard",
    "ModelFileError",
    "Predictor",
    "RawInputModel",
    "export_model",
    "load_model",
    "read_inputs",
]
