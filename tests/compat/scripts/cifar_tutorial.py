"""The network and loop of PyTorch's "Training a classifier" (CIFAR-10) tutorial, on random
32x32 images: torch.flatten(x, 1), CrossEntropyLoss, SGD with momentum, torch.max(outputs.data, 1)."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1) # flatten all dimensions except batch
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


def main(init_state=None, steps=6):
    rng = np.random.default_rng(0)
    images = torch.tensor(rng.standard_normal((steps, 4, 3, 32, 32)), dtype=torch.float32)
    labels = torch.tensor(rng.integers(0, 10, (steps, 4)))
    classes = ('plane', 'car', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck')

    net = Net()
    if init_state is not None:
        net.load_state_dict(init_state)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)

    losses = []
    running_loss = 0.0
    for i in range(steps):
        inputs, targets = images[i], labels[i]
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
        losses.append(loss.item())
    print('Finished Training', outputs.shape, outputs.dtype)

    correct = 0
    total = 0
    with torch.no_grad():
        outputs = net(images[0])
        _, predicted = torch.max(outputs.data, 1)
        total += labels[0].size(0)
        correct += (predicted == labels[0]).sum().item()
    print('predicted is a', predicted.dtype, 'of shape', predicted.shape, 'classes:', len(classes))
    print('counted', total, 'images; correct is an int:', isinstance(correct, int))
    print('grad shapes', [tuple(p.grad.shape) for p in net.parameters()][:2])
    return {"losses": losses, "logits": outputs.numpy().tolist()}


if __name__ == '__main__':
    main()
