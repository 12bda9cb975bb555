"""The shape of PyTorch's MNIST example (pytorch/examples mnist/main.py), on small synthetic
8x8 "images": dropout, log_softmax + nll_loss, Adadelta, StepLR, a DataLoader."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, 1)
        self.conv2 = nn.Conv2d(8, 16, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(16 * 2 * 2, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def train(model, device, train_loader, optimizer, epoch, losses):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if batch_idx % 8 == 0:
            print('Train Epoch: {} [{}/{} ({:.0f}%)]'.format(
                epoch, batch_idx * len(data), len(train_loader.dataset),
                100. * batch_idx / len(train_loader)))


def test(model, device, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction='sum').item()  # sum up batch loss
            pred = output.argmax(dim=1, keepdim=True)  # get the index of the max log-probability
            correct += pred.eq(target.view_as(pred)).sum().item()
    test_loss /= len(test_loader.dataset)
    return test_loss, correct


def make_data(n, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    images = rng.normal(0, 0.3, (n, 1, 8, 8)).astype(np.float32)
    images[np.arange(n), 0, labels % 8, :] += 2.0       # a learnable pattern: the row says the class
    images[np.arange(n), 0, :, labels // 8 * 4] += 2.0
    return torch.from_numpy(images), torch.from_numpy(labels)


def main(init_state=None, epochs=3):
    use_cuda = torch.cuda.is_available()
    torch.manual_seed(1)
    device = torch.device("cuda" if use_cuda else "cpu")
    train_kwargs = {'batch_size': 32}
    test_kwargs = {'batch_size': 100}

    x_train, y_train = make_data(512, 0)
    x_test, y_test = make_data(200, 1)
    train_loader = DataLoader(TensorDataset(x_train, y_train), **train_kwargs)
    test_loader = DataLoader(TensorDataset(x_test, y_test), **test_kwargs)

    model = Net().to(device)
    if init_state is not None:
        model.load_state_dict(init_state)
    optimizer = optim.Adadelta(model.parameters(), lr=1.0)
    print(model)
    print([tuple(p.shape) for p in model.parameters()])

    first_test = test(model, device, test_loader)
    losses = []
    scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
    for epoch in range(1, epochs + 1):
        train(model, device, train_loader, optimizer, epoch, losses)
        test_loss, correct = test(model, device, test_loader)
        print('Test set: Accuracy above chance: {}'.format(correct > 40))
        scheduler.step()
    print('lr after training: {:.4f}'.format(scheduler.get_last_lr()[0]))
    return {"first_test_loss": first_test[0], "losses": losses, "final_test_loss": test_loss}


if __name__ == '__main__':
    main()
