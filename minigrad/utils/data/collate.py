"""default_collate: a list of samples -> one batch, by torch's rules.

Tensors are stacked along a new dim 0; NumPy arrays and NumPy scalars become Tensors of their
dtype, stacked; Python floats a float64 Tensor, ints an int64 one (bools a bool one); strings
stay a list; dicts, tuples, lists and namedtuples are collated field by field (a batch of
tuples becomes a *list* of batches, as in torch).
"""
import collections.abc
import copy
import re

import numpy as np

from ...api.shape import stack
from ...tensor import Tensor

_STR_OR_OBJECT = re.compile(r"[SaUO]")
_ERR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _collate_sequence(batch, elem):
    size = len(elem)
    if not all(len(e) == size for e in batch):
        raise RuntimeError("each element in list of batch should be of equal size")
    transposed = list(zip(*batch))
    if isinstance(elem, tuple):
        return [default_collate(samples) for samples in transposed]
    try:
        if isinstance(elem, collections.abc.MutableSequence):
            clone = copy.copy(elem)
            for i, samples in enumerate(transposed):
                clone[i] = default_collate(samples)
            return clone
        return type(elem)([default_collate(samples) for samples in transposed])
    except TypeError:   # a sequence type that cannot be built from a list
        return [default_collate(samples) for samples in transposed]


def _collate_mapping(batch, elem):
    fields = {key: default_collate([d[key] for d in batch]) for key in elem}
    try:
        if isinstance(elem, collections.abc.MutableMapping):
            clone = copy.copy(elem)
            clone.update(fields)
            return clone
        return type(elem)(fields)
    except TypeError:
        return fields


def default_collate(batch):
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(list(batch), 0)
    if isinstance(elem, (np.ndarray, np.generic)):
        if _STR_OR_OBJECT.search(elem.dtype.str) is not None:
            raise TypeError(_ERR.format(elem.dtype))
        return Tensor._wrap(np.stack([np.asarray(b) for b in batch]))
    if isinstance(elem, bool):
        return Tensor._wrap(np.array(batch, dtype=np.bool_))
    if isinstance(elem, int):
        return Tensor._wrap(np.array(batch, dtype=np.int64))
    if isinstance(elem, float):
        return Tensor._wrap(np.array(batch, dtype=np.float64))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return _collate_mapping(batch, elem)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):   # namedtuple
        return type(elem)(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        return _collate_sequence(batch, elem)
    raise TypeError(_ERR.format(type(elem)))


def default_convert(data):
    """One sample, unbatched (DataLoader with batch_size=None): NumPy arrays become Tensors,
    containers are converted element by element, everything else is left as is."""
    if isinstance(data, np.ndarray) or (isinstance(data, np.generic) and not isinstance(data, (np.str_, np.bytes_))):
        if _STR_OR_OBJECT.search(data.dtype.str) is not None:
            return data
        return Tensor._wrap(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return {key: default_convert(data[key]) for key in data} if not isinstance(
            data, collections.abc.MutableMapping) else _replace_values(data)
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return [default_convert(d) for d in data]
    return data


def _replace_values(mapping):
    clone = copy.copy(mapping)
    clone.update({key: default_convert(mapping[key]) for key in mapping})
    return clone
