"""A walk through PyTorch's tensor and autograd tutorials ("What is PyTorch?", "A gentle
introduction to torch.autograd"): creation, dtypes, views, the NumPy bridge, autograd basics."""
import numpy as np
import torch


def main(init_state=None):
    x = torch.zeros(5, 3, dtype=torch.long)
    print(x)
    print(x.dtype == torch.long, x.dtype == torch.int64)
    x = torch.tensor([5.5, 3])
    print(x)
    x = x.new_ones(5, 3, dtype=torch.double)
    print(x)
    x = torch.randn_like(x, dtype=torch.float)
    print(x.size(), x.shape, x.dtype)
    rows, cols = x.size()
    print(rows, cols, x.dim(), len(x), x.numel())

    y = torch.ones(5, 3)
    print(torch.add(x, y).shape)
    result = torch.empty(5, 3)
    y.add_(x)
    print(y.shape, x[:, 1].shape)
    x = torch.arange(16.0).reshape(4, 4)
    y = x.view(16)
    z = x.view(-1, 8)
    print(x.size(), y.size(), z.size())
    print(x[1, 2].item(), x.sum().item(), x.mean(dim=0), x.max(), torch.max(x, 1).indices)
    print(x.T.shape, (x @ x.T).shape, x.mm(x).sum().item())
    print(torch.cat([x, x], dim=1).shape, torch.stack([x, x]).shape, x.unsqueeze(0).shape)
    print(x.flatten().shape, x.permute(1, 0).is_contiguous(), x.t().contiguous().is_contiguous())
    print(x.exp().log().allclose(x), torch.equal(x, x.clone()), (x > 7).sum().item())
    print(x.clamp(min=3, max=5)[0], x.clip(2, 3)[0].tolist(), torch.where(x > 8, x, torch.zeros_like(x))[2])
    print(torch.linspace(0, 1, 5), torch.eye(2), torch.full((2, 2), 7))
    print(torch.arange(0, 1, 0.25), torch.ones(2, 2).to("cpu", torch.float64).dtype)

    a = torch.ones(5)
    b = a.numpy()
    a.add_(1)
    print(a, b)
    a = np.ones(5)
    b = torch.from_numpy(a)
    np.add(a, 1, out=a)
    print(a, b)

    x = torch.ones(2, 2, requires_grad=True)
    print(x)
    y = x + 2
    print(y)
    print(y.grad_fn is not None, x.grad_fn is None, x.is_leaf, y.is_leaf)
    z = y * y * 3
    out = z.mean()
    print(z, out)
    a = torch.randn(2, 2)
    a = ((a * 3) / (a - 1))
    print(a.requires_grad)
    a.requires_grad_(True)
    print(a.requires_grad)
    b = (a * a).sum()
    print(b.grad_fn is not None)
    out.backward()
    print(x.grad)
    print(x.requires_grad, (x ** 2).requires_grad)
    with torch.no_grad():
        print((x ** 2).requires_grad)
    y = x.detach()
    print(y.requires_grad, x.eq(y).all())
    q = torch.tensor([2., 3.], requires_grad=True)
    Q = 3 * q ** 3 - q ** 2
    external_grad = torch.tensor([1., 1.])
    Q.backward(gradient=external_grad)
    print(9 * q ** 2 - 2 * q == q.grad)
    print(format(torch.tensor(3.14159), ".2f"), f"{torch.tensor(2.5).item():+.1f}")
    device = torch.device("cpu")
    print(device, torch.ones(1).to(device).device, torch.cuda.is_available())
    return {}


if __name__ == '__main__':
    main()
