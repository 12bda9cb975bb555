"""minigrad.onnx.export: each lowering on a tiny model and whole models, checked by
onnx.checker and by onnxruntime against minigrad's own output (float32, atol 1e-5) on several
batch sizes, with the batch dim exported as dynamic."""
import io
import os
import sys

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F

onnx = pytest.importorskip("onnx", reason="onnx not installed (pip install -e '.[onnx]')")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime not installed (pip install -e '.[onnx]')")

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples"))

ATOL = 1e-5


class Fn(nn.Module):
    """A model from a function of (self, *inputs); keyword modules become sub-modules."""
    def __init__(self, fn, **modules):
        super().__init__()
        self.fn = fn
        for k, m in modules.items():
            setattr(self, k, m)

    def forward(self, *xs):
        return self.fn(self, *xs)


def _session(model, example, **kw):
    buf = io.BytesIO()
    proto = minigrad.onnx.export(model, example, buf, **kw)
    onnx.checker.check_model(proto, full_check=True)
    return ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"]), proto


def _outputs(out):
    out = out if isinstance(out, (tuple, list)) else (out,)
    return [o.detach().numpy() for o in out]


def roundtrip(model, shape, batches=(1, 3, 5), dynamic=True, low=None, traced=2):
    """Export with batch `traced` (dim 0 dynamic unless dynamic=False) and compare onnxruntime
    with minigrad on each batch size; returns the largest difference."""
    rng = np.random.default_rng(0)

    def make(n):
        x = rng.standard_normal((n,) + tuple(shape)).astype(np.float32)
        return np.abs(x) + 0.1 if low == "positive" else x

    model.eval()
    kw = {"dynamic_axes": {"input": {0: "batch"}}} if dynamic else {}
    sess, _ = _session(model, minigrad.tensor(make(traced)), **kw)
    worst = 0.0
    for n in (batches if dynamic else (traced,)):
        x = make(n)
        want = _outputs(model(minigrad.tensor(x)))
        got = sess.run(None, {"input": x})
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.shape == w.shape
            if w.dtype.kind in "iu":
                np.testing.assert_array_equal(g, w)
            else:
                np.testing.assert_allclose(g, w, atol=ATOL, rtol=0)
                worst = max(worst, float(np.abs(g - w).max()))
    return worst


# ***** one tiny model per lowering *****

CASES = {
    # Conv: groups, stride, dilation, asymmetric pads ('same' with an even kernel), padding modes via Pad
    "conv": (lambda: nn.Conv2d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2), (4, 9, 9)),
    "conv_same_even_kernel": (lambda: nn.Conv2d(2, 3, (2, 4), padding="same", bias=False), (2, 7, 6)),
    "conv_reflect": (lambda: nn.Conv2d(2, 3, 3, padding=2, padding_mode="reflect"), (2, 6, 7)),
    "conv_replicate": (lambda: nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode="replicate"), (2, 6, 7)),
    "conv_circular": (lambda: nn.Conv2d(2, 3, 3, padding=(2, 1), padding_mode="circular"), (2, 6, 7)),
    # MaxPool: kernel, stride, padding, dilation, ceil_mode
    "maxpool": (lambda: nn.MaxPool2d(3, stride=2, padding=1, dilation=2), (3, 11, 10)),
    "maxpool_ceil": (lambda: nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), (3, 8, 9)),
    "maxpool_indices": (lambda: Fn(lambda s, x: F.max_pool2d(x, 2, 2, return_indices=True)), (3, 6, 7)),
    "maxpool_indices_pad_dil": (lambda: Fn(lambda s, x: F.max_pool2d(x, 3, 2, 1, dilation=2, ceil_mode=True,
                                                                     return_indices=True)), (2, 9, 8)),
    "maxunpool_output_size": (lambda: Fn(lambda s, x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True),
                                                                      2, output_size=(7, 9))), (3, 7, 9)),
    "avgpool": (lambda: nn.AvgPool2d(3, stride=2, padding=1), (3, 9, 8)),
    "avgpool_no_pad_count": (lambda: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), (3, 9, 8)),
    "avgpool_ceil": (lambda: nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True), (3, 8, 9)),
    "avgpool_ceil_no_pad_count": (lambda: nn.AvgPool2d(2, stride=3, padding=1, ceil_mode=True,
                                                       count_include_pad=False), (3, 8, 9)),
    "avgpool_divisor_override": (lambda: nn.AvgPool2d(3, stride=2, padding=1, divisor_override=5), (3, 9, 8)),
    "linear_gemm": (lambda: nn.Linear(5, 4), (5,)),
    "linear_3d_matmul": (lambda: nn.Linear(5, 4), (3, 5)),
    "linear_no_bias": (lambda: nn.Linear(5, 4, bias=False), (2, 5)),
    "sigmoid": (lambda: nn.Sigmoid(), (3, 4)),
    "tanh": (lambda: nn.Tanh(), (3, 4)),
    "relu": (lambda: nn.ReLU(), (3, 4)),
    "relu_inplace": (lambda: nn.Sequential(nn.Linear(4, 4), nn.ReLU(inplace=True), nn.Linear(4, 2)), (4,)),
    "leaky_relu": (lambda: nn.LeakyReLU(0.2), (3, 4)),
    "prelu_channels": (lambda: nn.PReLU(3, init=0.3), (3, 4, 5)),
    "prelu_single": (lambda: nn.PReLU(), (3, 4, 5)),
    "prelu_2d": (lambda: nn.PReLU(4), (4,)),
    "rrelu_eval": (lambda: nn.RReLU(0.1, 0.3), (3, 4)),
    "batchnorm_eval": (lambda: _trained_bn(), (3, 4, 5)),
    "dropout_eval": (lambda: nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5)), (4,)),
    "flatten": (lambda: nn.Flatten(), (2, 3, 4)),
    "view_unsqueeze_squeeze": (lambda: Fn(lambda s, x: x.view(x.shape[0], -1).unsqueeze(1).squeeze(1) * 2), (2, 3)),
    "softmax": (lambda: Fn(lambda s, x: F.softmax(x, dim=1)), (3, 4)),
    "log_softmax": (lambda: Fn(lambda s, x: F.log_softmax(x, dim=-1)), (3, 4)),
    "arith": (lambda: Fn(lambda s, x: ((x + 1.5) * x - x / 3.0 - 2.0) ** 2 + (-x).exp() + 2 ** x), (3, 4)),
    "unary": (lambda: Fn(lambda s, x: x.log() + x.sqrt() + x.abs() - minigrad.exp(-x)), (3, 4), "positive"),
    "pow_tensor": (lambda: Fn(lambda s, x: x ** (x * 0.5)), (3, 4), "positive"),
    "clamp": (lambda: Fn(lambda s, x: x.clamp(-0.5, 0.7) + x.clamp(min=0.1) + x.clamp(max=0.2)), (3, 4)),
    "clamp_tensor_bounds": (lambda: Fn(lambda s, x: x.clamp(s.w, s.w + 0.5), w=nn.Parameter(minigrad.randn(4))),
                            (3, 4)),
    "cat": (lambda: Fn(lambda s, x: minigrad.cat([x, x * 2, (x[:, :1] * 0 + s.w).expand(-1, 2)], dim=1),
                       w=nn.Parameter(minigrad.randn(1, 2))), (3,)),
    "stack": (lambda: Fn(lambda s, x: minigrad.stack([x, -x], dim=1)), (3,)),
    "transpose_permute": (lambda: Fn(lambda s, x: x.transpose(1, 2).permute(0, 2, 3, 1) + 1), (2, 3, 4)),
    "sum_mean": (lambda: Fn(lambda s, x: x.sum(dim=1) + x.mean(dim=(1, 2), keepdim=True).squeeze(-1)
                            + x.mean(-1).sum(-1, keepdim=True)), (3, 4)),
    "max_min": (lambda: Fn(lambda s, x: (x.amax(1) - x.amin(1), x.max(dim=2)[0], x.max(dim=2)[1])), (3, 4)),
    "matmul": (lambda: Fn(lambda s, x: x @ s.w + minigrad.matmul(x, s.w).sum(-1, keepdim=True),
                          w=nn.Parameter(minigrad.randn(4, 5))), (3, 4)),
    "getitem": (lambda: Fn(lambda s, x: x[:, 1:3, ::2] + x[:, None, 0, -3:] + x[..., 2:3][:, 1:3]), (4, 5)),
    "clone_cast_cumsum": (lambda: Fn(lambda s, x: x.clone().double().cumsum(1).float()), (3, 4)),
}


def _trained_bn():
    bn = nn.BatchNorm2d(3)
    bn.train()
    bn(minigrad.randn(4, 3, 4, 5) * 3 + 1)      # running stats that are not 0 and 1
    bn.weight.data.mul_(1.5)
    return bn


@pytest.mark.parametrize("case", sorted(CASES))
def test_lowering(case):
    minigrad.manual_seed(0)
    make, shape, *low = CASES[case]
    roundtrip(make(), shape, low=low[0] if low else None)


def test_maxpool_indices_are_minigrads_per_plane_indices():
    model = Fn(lambda s, x: F.max_pool2d(x, 2, return_indices=True)[1])
    x = minigrad.randn(2, 3, 6, 6)
    sess, _ = _session(model, x)
    got = sess.run(None, {"input": x.numpy()})[0]
    np.testing.assert_array_equal(got, model(x).numpy())
    assert got.max() < 36          # per H x W plane, not over the whole tensor


def test_unbatched_pooling():
    model = Fn(lambda s, x: F.avg_pool2d(F.max_pool2d(x, 2), 2, ceil_mode=True) + 0)
    x = minigrad.randn(3, 9, 8)
    sess, _ = _session(model, x)
    np.testing.assert_allclose(sess.run(None, {"input": x.numpy()})[0], model(x).numpy(), atol=ATOL)


# ***** whole models *****

def test_lenet_digits():
    from train_digits import lenet
    minigrad.manual_seed(0)
    worst = roundtrip(lenet(8), (1, 8, 8), batches=(1, 4, 33))
    assert worst < ATOL


def test_lenet_mnist_sized():
    from train_digits import lenet
    minigrad.manual_seed(0)
    roundtrip(lenet(28), (1, 28, 28), batches=(1, 3))


def test_mlp():
    minigrad.manual_seed(0)
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 16), nn.LeakyReLU(),
                        nn.Dropout(0.3), nn.Linear(16, 10), nn.Sigmoid())
    roundtrip(mlp, (8, 8), batches=(1, 2, 17))


def test_unpool_autoencoder():
    from unpool_autoencoder import UnpoolAutoencoder
    minigrad.manual_seed(0)
    roundtrip(UnpoolAutoencoder(), (1, 8, 8), batches=(1, 4, 9))


def test_unpool_autoencoder_encoder_and_decoder_apart():
    """Pool indices leave one graph (minigrad's per-plane form) and enter another."""
    from unpool_autoencoder import UnpoolAutoencoder
    minigrad.manual_seed(0)
    ae = UnpoolAutoencoder().eval()

    def encode(s, x):
        h, idx = ae.pool(F.relu(ae.enc(x)))
        return F.relu(ae.code(h)), idx

    def decode(s, z, idx):
        return F.sigmoid(ae.dec(ae.unpool(F.relu(ae.expand(z)), idx)))

    encoder, decoder = Fn(encode, ae=ae), Fn(decode, ae=ae)
    x = minigrad.randn(2, 1, 8, 8)
    z, idx = (t.detach() for t in encoder(x))
    dyn = {"z": {0: "batch"}, "idx": {0: "batch"}}
    enc_sess, _ = _session(encoder, x, output_names=["z", "idx"], dynamic_axes={"input": {0: "batch"}, **dyn})
    dec_sess, dec_proto = _session(decoder, (z, idx), input_names=["z", "idx"], dynamic_axes=dyn)
    assert [i.name for i in dec_proto.graph.input] == ["z", "idx"]
    for n in (1, 5):
        xb = minigrad.randn(n, 1, 8, 8)
        zb, ib = (t.detach() for t in encoder(xb))
        oz, oi = enc_sess.run(None, {"input": xb.numpy()})
        np.testing.assert_allclose(oz, zb.numpy(), atol=ATOL)
        np.testing.assert_array_equal(oi, ib.numpy())
        got = dec_sess.run(None, {"z": zb.numpy(), "idx": ib.numpy()})[0]
        np.testing.assert_allclose(got, decoder(zb, ib).detach().numpy(), atol=ATOL)


# ***** names, modes, files, errors *****

def test_parameters_are_named_initializers_and_file_paths_work(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
    path = tmp_path / "m.onnx"
    minigrad.onnx.export(model, minigrad.randn(1, 1, 6, 6), str(path), input_names=["image"],
                         output_names=["logits"])
    proto = onnx.load(str(path))
    names = {i.name for i in proto.graph.initializer}
    assert {"0.weight", "0.bias", "1.weight", "1.bias", "3.weight", "3.bias"} <= names
    assert [i.name for i in proto.graph.input] == ["image"]
    assert [o.name for o in proto.graph.output] == ["logits"]
    assert proto.opset_import[0].version == 17


def test_export_params_false_makes_parameters_inputs():
    model = nn.Linear(3, 2)
    proto = minigrad.onnx.export(model, minigrad.randn(4, 3), None, export_params=False)
    assert [i.name for i in proto.graph.input] == ["input", "weight", "bias"]
    assert not proto.graph.initializer


def test_export_switches_to_eval_and_restores_training():
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5), nn.BatchNorm2d(3) if False else nn.Identity())
    model.train()
    model[1].eval()          # a mixed state must come back as it was
    minigrad.onnx.export(model, minigrad.randn(2, 3), io.BytesIO())
    assert model.training and model[0].training and not model[1].training


def test_training_mode_dropout_is_refused_and_state_restored():
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5))
    with pytest.raises(RuntimeError, match="Dropout in training mode"):
        minigrad.onnx.export(model, minigrad.randn(2, 3), io.BytesIO(), training=minigrad.onnx.TrainingMode.TRAINING)
    assert model.training
    from minigrad.autograd import function
    assert function._tracer is None


def test_rrelu_training_mode_is_a_clear_error():
    with pytest.raises(RuntimeError, match="RReLU in training mode"):
        minigrad.onnx.export(nn.RReLU(), minigrad.randn(2, 3), io.BytesIO(),
                             training=minigrad.onnx.TrainingMode.TRAINING)


def test_unsupported_op_names_it():
    model = Fn(lambda s, x: x.sort(dim=1)[0])
    with pytest.raises(NotImplementedError, match=r"minigrad.onnx.export: no ONNX lowering for ops.SortAlong"):
        minigrad.onnx.export(model, minigrad.randn(2, 3), io.BytesIO())
    from minigrad.autograd import function
    assert function._tracer is None
    model(minigrad.randn(2, 3))      # minigrad still works after a failed export


def test_bad_opset():
    with pytest.raises(ValueError, match="opset_version"):
        minigrad.onnx.export(nn.ReLU(), minigrad.randn(2, 3), None, opset_version=7)


@pytest.mark.parametrize("opset", [13, 18])
def test_other_opsets(opset):
    model = Fn(lambda s, x: x.mean(dim=1) + x.amax(1) + F.max_unpool2d(*F.max_pool2d(x[:, None, :, None], (2, 1),
                                                                                       return_indices=True), (2, 1)
                                                                      ).sum((1, 3)).sum(-1))
    x = minigrad.randn(3, 4)
    sess, proto = _session(model, x, opset_version=opset)
    assert proto.opset_import[0].version == opset
    np.testing.assert_allclose(sess.run(None, {"input": x.numpy()})[0], model(x).numpy(), atol=ATOL)


def test_output_is_an_input_or_repeated():
    model = Fn(lambda s, x: (x, x * 2, x * 2))
    x = minigrad.randn(2, 3)
    sess, _ = _session(model, x)
    got = sess.run(None, {"input": x.numpy()})
    np.testing.assert_allclose(got[0], x.numpy())
    np.testing.assert_allclose(got[2], 2 * x.numpy())


def test_train_digits_export_flag(tmp_path, capsys):
    import train_digits
    path = str(tmp_path / "lenet.onnx")
    train_digits.main(["--epochs", "1", "--max-batches", "3", "--out", str(tmp_path), "--export", path])
    out = capsys.readouterr().out
    assert "max abs difference" in out
    diff = float(out.split("max abs difference")[1].split()[0])
    assert diff < 1e-4
    onnx.checker.check_model(onnx.load(path))
