"""layer_norm and embedding with torch 2.13's arguments, checks and messages."""
import numpy as np

from ...autograd import grad_mode
from ...ops import layer_norm as _ops
from ...tensor import Tensor

__all__ = ["layer_norm", "embedding"]


def _shape_list(shape):
    return [int(shape)] if isinstance(shape, (int, np.integer)) else [int(s) for s in shape]


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    """Normalise over the trailing dims given by normalized_shape (mean 0, biased variance 1),
    then scale by weight and shift by bias (both of normalized_shape)."""
    shape = _shape_list(normalized_shape)
    k = len(shape)
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and list(t.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{list(t.shape)} and normalized_shape = {shape}")
    if k == 0 or input.ndim < k or list(input.shape[input.ndim - k:]) != shape:
        raise RuntimeError(f"Given normalized_shape={shape}, expected input with shape [*, "
                           f"{', '.join(map(str, shape))}], but got input of size{list(input.shape)}")
    return _ops.LayerNorm.apply(input, weight, bias, k, float(eps))


_INDEX_TYPES = {"float32": "Float", "float64": "Double", "int16": "Short", "int8": "Char", "uint8": "Byte",
                "bool": "Bool", "float16": "Half"}


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """weight[input]: int64/int32 indices (*) into the rows of weight (V, D) -> (*, D).
    padding_idx's row gets no gradient; max_norm renormalises (in place, no grad) each looked-up
    row whose norm_type-norm exceeds it, as torch does."""
    if sparse:
        raise NotImplementedError("minigrad has no sparse tensors: embedding(sparse=True) is not supported")
    idx = input._data if isinstance(input, Tensor) else np.asarray(input)
    if idx.dtype not in (np.int64, np.int32):
        name = _INDEX_TYPES.get(str(idx.dtype), str(idx.dtype))
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got minigrad.{name}Tensor instead (while checking arguments for embedding)")
    vocab = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= vocab):
        raise IndexError("index out of range in self")
    padding_idx = padding_index(padding_idx, vocab)
    if max_norm is not None:
        _renorm_rows(weight, np.unique(idx), float(max_norm), float(norm_type))
    return _ops.Embedding.apply(idx, weight, padding_idx, bool(scale_grad_by_freq))


def padding_index(padding_idx, vocab):
    """padding_idx checked against the vocabulary size (torch's assert) and made non-negative."""
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < vocab, "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -vocab, "Padding_idx must be within num_embeddings"
            padding_idx = vocab + padding_idx
    return padding_idx


def _renorm_rows(weight, rows, max_norm, norm_type):
    """torch.embedding_renorm_: rows with norm > max_norm are scaled to max_norm / (norm + 1e-7)."""
    with grad_mode.no_grad():
        w = weight._data
        norms = np.linalg.norm(w[rows], ord=norm_type, axis=1)
        over = norms > max_norm
        if over.any():
            w[rows[over]] *= (max_norm / (norms[over] + 1e-7))[:, None].astype(w.dtype)
            weight._version[0] += 1
