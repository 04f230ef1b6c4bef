"""Video data: readers (decord, PyAV), frame sampling, torch transforms, split-file and folder datasets."""

from model.data.datasets import Batch, ClipConfig, Sample, VideoDataset, collate_skipping
from model.data.readers import DecordReader, PyAVReader, VideoReader, VideoReadError, make_reader
from model.data.sampling import dense_indices, sample_indices, segment_indices
from model.data.splits import (
    SplitFileError,
    VideoItem,
    class_key,
    folder_items,
    read_class_map,
    read_split_file,
    split_items,
)

__all__ = [
    "Batch",
    "ClipConfig",
    "DecordReader",
    "PyAVReader",
    "Sample",
    "SplitFileError",
    "VideoDataset",
    "VideoItem",
    "VideoReadError",
    "VideoReader",
    "class_key",
    "collate_skipping",
    "dense_indices",
    "folder_items",
    "make_reader",
    "read_class_map",
    "read_split_file",
    "sample_indices",
    "segment_indices",
    "split_items",
]
