"""W&B's tables and media (``wandb.Table``, ``wandb.Image``, ... and ``wandb.data_types``).

Each type writes and reads W&B's own JSON layout, so an artifact holding them is
readable by either tool. numpy, Pillow and pandas are imported only when a value
needs them (``pip install 'archivist[media]'``).
"""

from archivist.sdk.data_types.histogram import Histogram
from archivist.sdk.data_types.image import Image
from archivist.sdk.data_types.image_overlays import BoundingBoxes2D, Classes, ImageMask
from archivist.sdk.data_types.media_files import Audio, Html, Molecule, Object3D, Video
from archivist.sdk.data_types.table import Table
from archivist.sdk.data_types.table_refs import JoinedTable, PartitionedTable
from archivist.sdk.data_types.wb_value import Media, WBValue

__all__ = [
    "Audio",
    "BoundingBoxes2D",
    "Classes",
    "Histogram",
    "Html",
    "Image",
    "ImageMask",
    "JoinedTable",
    "Media",
    "Molecule",
    "Object3D",
    "PartitionedTable",
    "Table",
    "Video",
    "WBValue",
]
