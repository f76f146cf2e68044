"""A gallery of networks written the way PyTorch users write them, for a gradient checker.

Two styles:

1. PyTorch users: ``nn.Sequential`` or a small ``nn.Module`` (fc1/fc2/fc3), a ``torch.nn`` loss,
   gradients from autograd (``loss.backward()``), returned as a dict ``{name: p.grad}`` or a list,
   in float64 and in float32.  The buggy versions each contain one mistake a PyTorch user makes
   with the gradients they hand back (or with a small manual backward).
2. "Backprop ninja" (Karpathy, makemore part 4): the forward pass written step by step and the
   backward pass by hand, node by node (dlogprobs, dprobs, ..., dlogits, dh, dhpreact, dX), in
   torch or in numpy.  Those return the intermediate gradients too and name them in ``nodes=``.
   Each buggy version has exactly one local backward step wrong.

Every entry of ``CASES`` is a dict with keys name, make, bug, wrong, first_wrong_node and also;
``make()`` returns ``(grad_fn, params, X, Y, kwargs)`` for
``check_backprop(grad_fn, params, X, Y, **kwargs)``.

Conventions used by the networks here (the "network's own loss"):
- softmax + cross_entropy: mean over the batch (``nn.CrossEntropyLoss()``);
- logistic + cross_entropy: ``nn.BCEWithLogitsLoss()``, mean over all N*C entries;
- identity + squared_error: ``nn.MSELoss()``, mean over all N*C entries;
- alpha: L2 on every parameter, biases included: ``grad + alpha * p``, or equivalently
  ``0.5 * alpha * sum(p**2)`` added to the loss.
- list params are named "W0", "b0", "W1", "b1", ... by position, from the input.

Running this file checks, with float64 central differences, that the correct versions are
correct and that each buggy version differs in exactly the arrays it lists in "wrong"
(and, for the manual-backward cases, that the first wrong intermediate is the recorded one).
"""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

CASES = []

# Per-case facts used only by the self-check at the bottom of this file (never by the cases).
# layout: "torch" when weights are stored (out, in) like nn.Linear.weight, "math" when (in, out).
_ORACLE = {}


def _case(name, bug=None, wrong=(), first_wrong_node=None, also=None, layout="torch", **facts):
    def register(make):
        CASES.append({
            "name": name,
            "make": make,
            "bug": bug,
            "wrong": set(wrong),
            "first_wrong_node": first_wrong_node,
            "also": also,
        })
        _ORACLE[name] = dict(layout=layout, **facts)
        return make
    return register


CLS = dict(output="softmax", loss="cross_entropy")
MULTILABEL = dict(output="logistic", loss="cross_entropy")
REGRESSION = dict(output="identity", loss="squared_error")

TWO = ("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias")
THREE = TWO + ("fc3.weight", "fc3.bias")
SEQ = ("0.weight", "0.bias", "2.weight", "2.bias")
LIST2 = ("W0", "b0", "W1", "b1")
LIST3 = LIST2 + ("W2", "b2")
NINJA = ("W1", "b1", "W2", "b2")
NINJA3 = NINJA + ("W3", "b3")


# ---------------------------------------------------------------------------------------------
# Style 1: PyTorch users
# ---------------------------------------------------------------------------------------------

class TwoLayerNet(nn.Module):
    def __init__(self, d_in, d_hidden, d_out, act=nn.ReLU):
        super().__init__()
        self.fc1 = nn.Linear(d_in, d_hidden)
        self.act = act()
        self.fc2 = nn.Linear(d_hidden, d_out)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class ThreeLayerNet(nn.Module):
    def __init__(self, d_in, h1, h2, d_out, act=nn.ReLU):
        super().__init__()
        self.fc1 = nn.Linear(d_in, h1)
        self.fc2 = nn.Linear(h1, h2)
        self.fc3 = nn.Linear(h2, d_out)
        self.act = act()

    def features(self, x):
        return self.act(self.fc2(self.act(self.fc1(x))))

    def forward(self, x):
        return self.fc3(self.features(x))


def load_params(model, params):
    """Copy a list of arrays/tensors (model.parameters() order) into the model."""
    with torch.no_grad():
        for p, v in zip(model.parameters(), params):
            p.copy_(torch.as_tensor(v))


# ----- correct -----

@_case("torch_seq_relu_ce_f64")
def make_seq_relu_ce_f64():
    torch.manual_seed(0)
    np.random.seed(0)
    N, D, H, C = 24, 7, 12, 4
    model = nn.Sequential(nn.Linear(D, H), nn.ReLU(), nn.Linear(H, C)).double()
    criterion = nn.CrossEntropyLoss()
    X = torch.randn(N, D, dtype=torch.float64)
    Y = torch.randint(0, C, (N,))
    params = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def grad_fn(params, X, Y):
        model.load_state_dict(params)
        model.zero_grad()
        loss = criterion(model(X), Y)
        loss.backward()
        return {name: p.grad for name, p in model.named_parameters()}

    return grad_fn, params, X, Y, dict(activation="relu", alpha=0.0, **CLS)


@_case("torch_seq_tanh_ce_f32_weight_decay")
def make_seq_tanh_ce_f32_wd():
    torch.manual_seed(1)
    np.random.seed(1)
    N, D, H, C = 30, 5, 9, 3
    wd = 0.05
    model = nn.Sequential(nn.Linear(D, H), nn.Tanh(), nn.Linear(H, C))
    criterion = nn.CrossEntropyLoss()
    X = torch.randn(N, D)
    Y = torch.randint(0, C, (N,))
    params = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def grad_fn(params, X, Y):
        model.load_state_dict(params)
        model.zero_grad()
        criterion(model(X), Y).backward()
        # weight decay by hand, like torch.optim.SGD(weight_decay=wd) does
        return {name: p.grad + wd * p.detach() for name, p in model.named_parameters()}

    return grad_fn, params, X, Y, dict(activation="tanh", alpha=wd, **CLS)


@_case("torch_module3_relu_penalty_list_f64")
def make_module3_relu_penalty():
    torch.manual_seed(2)
    np.random.seed(2)
    N, D, H1, H2, C = 20, 6, 11, 8, 3
    lam = 0.1
    model = ThreeLayerNet(D, H1, H2, C).double()
    X = np.random.randn(N, D)
    Y = np.random.randint(0, C, size=N)
    params = [p.detach().numpy().copy() for p in model.parameters()]

    def grad_fn(params, X, Y):
        load_params(model, params)
        model.zero_grad()
        logits = model(torch.as_tensor(X))
        loss = F.cross_entropy(logits, torch.as_tensor(Y))
        loss = loss + 0.5 * lam * sum((p ** 2).sum() for p in model.parameters())
        loss.backward()
        return loss.item(), [p.grad.numpy().copy() for p in model.parameters()]

    return grad_fn, params, X, Y, dict(activation="relu", alpha=lam, **CLS)


@_case("torch_bce_multilabel_tanh_f64")
def make_bce_multilabel_tanh():
    torch.manual_seed(3)
    np.random.seed(3)
    N, D, H, C = 16, 8, 10, 5
    model = TwoLayerNet(D, H, C, act=nn.Tanh).double()
    criterion = nn.BCEWithLogitsLoss()
    X = torch.randn(N, D, dtype=torch.float64)
    Y = (torch.rand(N, C) < 0.4).double()
    params = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def grad_fn(params, X, Y):
        model.load_state_dict(params)
        model.zero_grad()
        criterion(model(X), Y).backward()
        return {name: p.grad.clone() for name, p in model.named_parameters()}

    return grad_fn, params, X, Y, dict(activation="tanh", alpha=0.0, **MULTILABEL)


@_case("torch_mse_relu_f32_numpy_list")
def make_mse_relu_f32():
    torch.manual_seed(4)
    np.random.seed(4)
    N, D, H, C = 25, 4, 13, 3
    model = nn.Sequential(nn.Linear(D, H), nn.ReLU(), nn.Linear(H, C))
    criterion = nn.MSELoss()
    X = np.random.randn(N, D).astype(np.float32)
    Y = (X @ np.random.randn(D, C) + 0.1 * np.random.randn(N, C)).astype(np.float32)
    params = [p.detach().numpy().copy() for p in model.parameters()]

    def grad_fn(params, X, Y):
        load_params(model, params)
        model.zero_grad()
        loss = criterion(model(torch.from_numpy(X)), torch.from_numpy(Y))
        loss.backward()
        return [p.grad.numpy().copy() for p in model.parameters()]

    return grad_fn, params, X, Y, dict(activation="relu", alpha=0.0, **REGRESSION)


@_case("torch_mse_tanh_f64_single_output_weight_decay")
def make_mse_tanh_wd():
    torch.manual_seed(5)
    np.random.seed(5)
    N, D, H, C = 18, 6, 9, 1
    wd = 0.03
    model = TwoLayerNet(D, H, C, act=nn.Tanh).double()
    X = torch.randn(N, D, dtype=torch.float64)
    Y = torch.sin(X[:, :1]) + 0.5 * X[:, 1:2]
    params = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def grad_fn(params, X, Y):
        model.load_state_dict(params)
        model.zero_grad()
        loss = F.mse_loss(model(X), Y)
        loss.backward()
        grads = {}
        for name, p in model.named_parameters():
            grads[name] = p.grad.detach().clone()
            grads[name] += wd * p.detach()
        penalty = 0.5 * wd * sum(float((p.detach() ** 2).sum()) for p in model.parameters())
        return loss.item() + penalty, grads

    return grad_fn, params, X, Y, dict(activation="tanh", alpha=wd, **REGRESSION)


@_case("torch_seq_leaky_relu_onehot_f32")
def make_seq_leaky_onehot():
    torch.manual_seed(6)
    np.random.seed(6)
    N, D, H, C = 20, 9, 14, 4
    model = nn.Sequential(nn.Linear(D, H), nn.LeakyReLU(), nn.Linear(H, C))
    criterion = nn.CrossEntropyLoss()
    X = torch.randn(N, D)
    Y = F.one_hot(torch.randint(0, C, (N,)), C).float()   # probabilities as targets
    params = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def grad_fn(params, X, Y):
        model.load_state_dict(params)
        model.zero_grad()
        loss = criterion(model(X), Y)
        loss.backward()
        return loss.detach(), {n: p.grad.clone() for n, p in model.named_parameters()}

    return grad_fn, params, X, Y, dict(activation="leaky_relu", alpha=0.0, **CLS)


@_case("torch_seq_sigmoid_ce_f64_tensor_list")
def make_seq_sigmoid_ce():
    torch.manual_seed(7)
    np.random.seed(7)
    N, D, H, C = 15, 3, 7, 2
    model = nn.Sequential(nn.Linear(D, H), nn.Sigmoid(), nn.Linear(H, C)).double()
    X = np.random.randn(N, D)
    Y = np.random.randint(0, C, size=N)
    params = [p.detach().clone() for p in model.parameters()]

    def grad_fn(params, X, Y):
        load_params(model, params)
        for p in model.parameters():
            p.grad = None
        out = model(torch.tensor(X))
        F.cross_entropy(out, torch.tensor(Y)).backward()
        return tuple(p.grad for p in model.parameters())

    return grad_fn, params, X, Y, dict(activation="logistic", alpha=0.0, **CLS)


@_case("torch_linear_no_activation_penalty_f32")
def make_linear_identity_penalty():
    torch.manual_seed(8)
    np.random.seed(8)
    N, D, H, C = 12, 10, 6, 3
    lam = 0.2
    model = nn.Sequential(nn.Linear(D, H), nn.Linear(H, C))
    X = torch.randn(N, D)
    Y = torch.randint(0, C, (N,))
    params = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def grad_fn(params, X, Y):
        model.load_state_dict(params)
        model.zero_grad()
        l2 = sum(p.pow(2).sum() for p in model.parameters())
        loss = nn.CrossEntropyLoss()(model(X), Y) + lam / 2 * l2
        loss.backward()
        return loss.item(), {n: p.grad.clone() for n, p in model.named_parameters()}

    return grad_fn, params, X, Y, dict(activation="identity", alpha=lam, **CLS)


@_case("torch_module3_relu_bce_f32_weight_decay")
def make_module3_bce_f32_wd():
    torch.manual_seed(9)
    np.random.seed(9)
    N, D, H1, H2, C = 22, 7, 12, 9, 4
    wd = 0.02
    model = ThreeLayerNet(D, H1, H2, C)
    criterion = nn.BCEWithLogitsLoss()
    X = torch.randn(N, D)
    Y = (torch.rand(N, C) < 0.5).float()
    params = [p.detach().clone() for p in model.parameters()]

    def grad_fn(params, X, Y):
        load_params(model, params)
        model.zero_grad(set_to_none=True)
        criterion(model(X), Y).backward()
        return [p.grad + wd * p.data for p in model.parameters()]

    return grad_fn, params, X, Y, dict(activation="relu", alpha=wd, **MULTILABEL)


# ----- buggy -----

@_case("torch_bug_no_zero_grad", wrong=TWO,
       bug="Never zeroes .grad (no model.zero_grad()), so gradients accumulate across calls.",
       also="gradients change between calls: they accumulate in .grad (the k-th call returns "
            "k times the gradient, and the tensors returned earlier are overwritten as well)",
       calls=2)
def make_bug_no_zero_grad():
    torch.manual_seed(10)
    np.random.seed(10)
    N, D, H, C = 16, 5, 8, 3
    model = TwoLayerNet(D, H, C).double()
    criterion = nn.CrossEntropyLoss()
    X = torch.randn(N, D, dtype=torch.float64)
    Y = torch.randint(0, C, (N,))
    params = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def grad_fn(params, X, Y):
        model.load_state_dict(params)
        loss = criterion(model(X), Y)
        loss.backward()
        return {name: p.grad for name, p in model.named_parameters()}

    return grad_fn, params, X, Y, dict(activation="relu", alpha=0.0, **CLS)


@_case("torch_bug_softmax_before_cross_entropy", wrong=SEQ,
       bug="Applies softmax to the logits before nn.CrossEntropyLoss, which applies "
           "log_softmax itself.")
def make_bug_softmax_before_ce():
    torch.manual_seed(11)
    np.random.seed(11)
    N, D, H, C = 20, 6, 10, 4
    model = nn.Sequential(nn.Linear(D, H), nn.ReLU(), nn.Linear(H, C))
    criterion = nn.CrossEntropyLoss()
    X = torch.randn(N, D)
    Y = torch.randint(0, C, (N,))
    params = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def grad_fn(params, X, Y):
        model.load_state_dict(params)
        model.zero_grad()
        probs = torch.softmax(model(X), dim=1)
        criterion(probs, Y).backward()
        return {n: p.grad.clone() for n, p in model.named_parameters()}

    return grad_fn, params, X, Y, dict(activation="relu", alpha=0.0, **CLS)


@_case("torch_bug_sum_reduction_with_weight_decay", wrong=LIST2,
       bug="Uses nn.CrossEntropyLoss(reduction='sum') for the data term while the weight decay "
           "is added for the batch-mean loss, so the data part of every gradient is N times "
           "too large.")
def make_bug_sum_reduction():
    torch.manual_seed(12)
    np.random.seed(12)
    N, D, H, C = 14, 4, 9, 3
    wd = 0.05
    model = nn.Sequential(nn.Linear(D, H), nn.Tanh(), nn.Linear(H, C)).double()
    criterion = nn.CrossEntropyLoss(reduction="sum")
    X = np.random.randn(N, D)
    Y = np.random.randint(0, C, size=N)
    params = [p.detach().numpy().copy() for p in model.parameters()]

    def grad_fn(params, X, Y):
        load_params(model, params)
        model.zero_grad()
        criterion(model(torch.from_numpy(X)), torch.from_numpy(Y)).backward()
        return [(p.grad + wd * p.detach()).numpy() for p in model.parameters()]

    return grad_fn, params, X, Y, dict(activation="tanh", alpha=wd, **CLS)


@_case("torch_bug_detached_features", wrong=TWO,
       bug="Detaches the hidden features before the last layer (copied from a feature-"
           "extraction snippet), so fc1 and fc2 get no gradient and are returned as zeros.")
def make_bug_detach():
    torch.manual_seed(13)
    np.random.seed(13)
    N, D, H1, H2, C = 18, 6, 10, 7, 3
    model = ThreeLayerNet(D, H1, H2, C, act=nn.Tanh).double()
    X = torch.randn(N, D, dtype=torch.float64)
    Y = torch.randint(0, C, (N,))
    params = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def grad_fn(params, X, Y):
        model.load_state_dict(params)
        model.zero_grad()
        feats = model.features(X).detach()
        logits = model.fc3(feats)
        F.cross_entropy(logits, Y).backward()
        return {n: (p.grad.clone() if p.grad is not None else torch.zeros_like(p))
                for n, p in model.named_parameters()}

    return grad_fn, params, X, Y, dict(activation="tanh", alpha=0.0, **CLS)


@_case("torch_bug_weight_decay_on_weights_only", wrong=("fc1.bias", "fc2.bias"),
       bug="The reported loss penalises every parameter, but weight decay is added to the "
           "gradient of the weights only, not the biases.",
       also="loss and gradient disagree (the returned loss has the penalty on the biases, "
            "their gradients do not)",
       loss_matches=True)
def make_bug_wd_weights_only():
    torch.manual_seed(14)
    np.random.seed(14)
    N, D, H, C = 26, 8, 12, 5
    wd = 0.1
    model = TwoLayerNet(D, H, C)
    X = torch.randn(N, D)
    Y = torch.randint(0, C, (N,))
    params = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def grad_fn(params, X, Y):
        model.load_state_dict(params)
        model.zero_grad()
        ce = F.cross_entropy(model(X), Y)
        ce.backward()
        with torch.no_grad():
            loss = ce + 0.5 * wd * sum((p ** 2).sum() for p in model.parameters())
        grads = {}
        for name, p in model.named_parameters():
            if "weight" in name:
                grads[name] = p.grad + wd * p.detach()
            else:
                grads[name] = p.grad.clone()
        return loss.item(), grads

    return grad_fn, params, X, Y, dict(activation="relu", alpha=wd, **CLS)


@_case("torch_bug_grads_sorted_by_name", wrong=LIST2,
       bug="Returns the gradient list sorted by parameter name ('0.bias' before '0.weight') "
           "instead of in the order of params.",
       also="gradient shapes do not match params")
def make_bug_sorted():
    torch.manual_seed(15)
    np.random.seed(15)
    N, D, H, C = 12, 5, 8, 3
    model = nn.Sequential(nn.Linear(D, H), nn.ReLU(), nn.Linear(H, C)).double()
    X = torch.randn(N, D, dtype=torch.float64)
    Y = torch.randint(0, C, (N,))
    params = [p.detach().numpy().copy() for p in model.parameters()]

    def grad_fn(params, X, Y):
        load_params(model, params)
        model.zero_grad()
        F.cross_entropy(model(X), Y).backward()
        grads = {name: p.grad.numpy().copy() for name, p in model.named_parameters()}
        return [grads[name] for name in sorted(grads)]

    return grad_fn, params, X, Y, dict(activation="relu", alpha=0.0, **CLS)


@_case("torch_bug_bce_by_hand_log_of_zero", wrong=TWO,
       bug="Writes binary cross-entropy by hand as log(sigmoid) and log(1 - sigmoid) in "
           "float32; a saturated sigmoid gives log(0) and the gradients are NaN.",
       also="NaN in the gradients", nan=True)
def make_bug_nan():
    torch.manual_seed(16)
    np.random.seed(16)
    N, D, H, C = 15, 4, 10, 3
    model = TwoLayerNet(D, H, C)
    X = torch.randn(N, D)
    X[0] = torch.tensor([150.0, -110.0, 200.0, 75.0])   # one raw, unscaled sample
    Y = (torch.rand(N, C) < 0.5).float()
    params = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def grad_fn(params, X, Y):
        model.load_state_dict(params)
        model.zero_grad()
        s = torch.sigmoid(model(X))
        loss = -(Y * torch.log(s) + (1 - Y) * torch.log(1 - s)).mean()
        loss.backward()
        return {n: p.grad.clone() for n, p in model.named_parameters()}

    return grad_fn, params, X, Y, dict(activation="relu", alpha=0.0, **MULTILABEL)


@_case("torch_bug_sgd_step_inside_grad_fn", wrong=(),
       bug="Takes an SGD step inside grad_fn (p.data -= lr * p.grad) on the very tensors it was "
           "given, after computing correct gradients.",
       also="grad_fn writes into params (the returned gradients themselves are correct)",
       writes=True)
def make_bug_sgd_inside():
    torch.manual_seed(17)
    np.random.seed(17)
    N, D, H, C = 20, 6, 11, 4
    lr = 0.5
    model = TwoLayerNet(D, H, C, act=nn.Tanh).double()
    X = torch.randn(N, D, dtype=torch.float64)
    Y = torch.randint(0, C, (N,))
    params = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def grad_fn(params, X, Y):
        for p in params.values():
            p.requires_grad_(True)
            p.grad = None
        h = torch.tanh(F.linear(X, params["fc1.weight"], params["fc1.bias"]))
        logits = F.linear(h, params["fc2.weight"], params["fc2.bias"])
        F.cross_entropy(logits, Y).backward()
        grads = {k: p.grad.clone() for k, p in params.items()}
        for p in params.values():       # "might as well update while I'm here"
            p.data -= lr * p.grad
        return grads

    return grad_fn, params, X, Y, dict(activation="tanh", alpha=0.0, **CLS)


@_case("torch_bug_manual_dW2_wrong_transpose", wrong=("fc2.weight",),
       bug="In a manual backward on nn.Linear-layout weights, computes dW2 = h1.T @ dlogits, "
           "shape (H, C), instead of dlogits.T @ h1, shape (C, H).",
       also="gradient shape does not match params for fc2.weight")
def make_bug_manual_transpose():
    torch.manual_seed(18)
    np.random.seed(18)
    N, D, H, C = 16, 5, 9, 3
    model = TwoLayerNet(D, H, C).double()
    X = torch.randn(N, D, dtype=torch.float64)
    Y = torch.randint(0, C, (N,))
    params = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def grad_fn(params, X, Y):
        W1, b1 = params["fc1.weight"], params["fc1.bias"]
        W2, b2 = params["fc2.weight"], params["fc2.bias"]
        n = X.shape[0]
        z1 = X @ W1.T + b1
        h1 = torch.relu(z1)
        logits = h1 @ W2.T + b2
        loss = F.cross_entropy(logits, Y)
        dlogits = torch.softmax(logits, 1) - F.one_hot(Y, logits.shape[1])
        dlogits /= n
        dW2 = h1.T @ dlogits
        db2 = dlogits.sum(0)
        dh1 = dlogits @ W2
        dz1 = dh1 * (z1 > 0)
        dW1 = dz1.T @ X
        db1 = dz1.sum(0)
        return loss, {"fc1.weight": dW1, "fc1.bias": db1, "fc2.weight": dW2, "fc2.bias": db2}

    return grad_fn, params, X, Y, dict(activation="relu", alpha=0.0, **CLS)


@_case("torch_bug_inplace_tanh_needed_later", wrong=("fc1.weight", "fc1.bias"),
       bug="Applies tanh in place (z1.tanh_()) to the pre-activation and later computes the "
           "derivative 1 - tanh(z1)**2 from the overwritten tensor.")
def make_bug_inplace_tanh():
    torch.manual_seed(19)
    np.random.seed(19)
    N, D, H, C = 22, 7, 12, 4
    model = TwoLayerNet(D, H, C, act=nn.Tanh)
    X = torch.randn(N, D)
    Y = torch.randint(0, C, (N,))
    params = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def grad_fn(params, X, Y):
        W1, b1 = params["fc1.weight"], params["fc1.bias"]
        W2, b2 = params["fc2.weight"], params["fc2.bias"]
        n = X.shape[0]
        z1 = X @ W1.T + b1
        h1 = z1.tanh_()                 # in place, saves a buffer
        logits = h1 @ W2.T + b2
        dlogits = (torch.softmax(logits, 1) - F.one_hot(Y, logits.shape[1])) / n
        dW2 = dlogits.T @ h1
        db2 = dlogits.sum(0)
        dh1 = dlogits @ W2
        dz1 = dh1 * (1 - torch.tanh(z1) ** 2)
        dW1 = dz1.T @ X
        db1 = dz1.sum(0)
        return {"fc1.weight": dW1, "fc1.bias": db1, "fc2.weight": dW2, "fc2.bias": db2}

    return grad_fn, params, X, Y, dict(activation="tanh", alpha=0.0, **CLS)


@_case("torch_bug_inplace_relu_through_data", wrong=("fc1.weight", "fc1.bias"),
       bug="Does the ReLU in place through .data (z1.data.clamp_(min=0)), so autograd never "
           "sees it and the ReLU mask is missing from fc1's gradient.")
def make_bug_relu_data():
    torch.manual_seed(20)
    np.random.seed(20)
    N, D, H, C = 24, 6, 13, 3
    model = TwoLayerNet(D, H, C).double()
    X = torch.randn(N, D, dtype=torch.float64)
    Y = torch.randint(0, C, (N,))
    params = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def grad_fn(params, X, Y):
        model.load_state_dict(params)
        model.zero_grad()
        z1 = model.fc1(X)
        z1.data.clamp_(min=0)           # ReLU without an extra allocation
        logits = model.fc2(z1)
        loss = F.cross_entropy(logits, Y)
        loss.backward()
        return loss.item(), {n: p.grad.clone() for n, p in model.named_parameters()}

    return grad_fn, params, X, Y, dict(activation="relu", alpha=0.0, **CLS)


@_case("torch_bug_float32_model_for_float64_params", wrong=(),
       bug="Loads float64 params into a default float32 model and returns float32 gradients, "
           "so they are only float32-accurate.",
       also="gradients are float32 while params are float64 (float32 precision only)",
       grads_float32=True)
def make_bug_float32_model():
    torch.manual_seed(21)
    np.random.seed(21)
    N, D, H, C = 20, 8, 11, 3
    net64 = TwoLayerNet(D, H, C, act=nn.Tanh).double()
    X = torch.randn(N, D, dtype=torch.float64)
    Y = torch.randint(0, C, (N,))
    params = {k: v.detach().clone() for k, v in net64.state_dict().items()}
    model = TwoLayerNet(D, H, C, act=nn.Tanh)        # float32, torch's default

    def grad_fn(params, X, Y):
        model.load_state_dict(params)               # silently casts to float32
        model.zero_grad()
        F.cross_entropy(model(X.float()), Y).backward()
        return {n: p.grad.clone() for n, p in model.named_parameters()}

    return grad_fn, params, X, Y, dict(activation="tanh", alpha=0.0, **CLS)


@_case("torch_bug_microbatch_means_summed", wrong=LIST2,
       bug="Accumulates gradients over micro-batches of 8 (the last one has a single sample) "
           "by calling backward on each micro-batch's mean loss, without reweighting.")
def make_bug_microbatch():
    torch.manual_seed(22)
    np.random.seed(22)
    N, D, H, C = 25, 5, 10, 4
    model = nn.Sequential(nn.Linear(D, H), nn.ReLU(), nn.Linear(H, C))
    criterion = nn.CrossEntropyLoss()
    X = torch.randn(N, D)
    Y = torch.randint(0, C, (N,))
    params = [p.detach().clone() for p in model.parameters()]

    def grad_fn(params, X, Y):
        load_params(model, params)
        model.zero_grad()
        for xb, yb in zip(X.split(8), Y.split(8)):
            criterion(model(xb), yb).backward()
        return [p.grad.clone() for p in model.parameters()]

    return grad_fn, params, X, Y, dict(activation="relu", alpha=0.0, **CLS)


@_case("torch_bug_mse_broadcast_targets", wrong=("fc1.weight", "fc1.bias", "fc2.weight"),
       bug="Flattens the (N, 1) targets to (N,), so MSELoss broadcasts (N, 1) against (N,) "
           "into an (N, N) matrix of differences.",
       also="the output bias gradient happens to stay right: 2 * (mean(out) - mean(y)) either way")
def make_bug_mse_broadcast():
    torch.manual_seed(23)
    np.random.seed(23)
    N, D, H, C = 14, 5, 8, 1
    model = TwoLayerNet(D, H, C).double()
    X = torch.randn(N, D, dtype=torch.float64)
    Y = (X[:, :1] * 2 - X[:, 1:2] ** 2).clone()
    params = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def grad_fn(params, X, Y):
        model.load_state_dict(params)
        model.zero_grad()
        y = torch.as_tensor(Y).view(-1)
        out = model(X)
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")      # "target size differs from input size"
            loss = nn.MSELoss()(out, y)
        loss.backward()
        return {n: p.grad.clone() for n, p in model.named_parameters()}

    return grad_fn, params, X, Y, dict(activation="relu", alpha=0.0, **REGRESSION)


@_case("torch_bug_label_smoothing_left_on", wrong=SEQ,
       bug="Uses nn.CrossEntropyLoss(label_smoothing=0.1) copied from a training recipe, "
           "which is not the plain cross-entropy being checked.")
def make_bug_label_smoothing():
    torch.manual_seed(24)
    np.random.seed(24)
    N, D, H, C = 18, 6, 9, 4
    model = nn.Sequential(nn.Linear(D, H), nn.Tanh(), nn.Linear(H, C)).double()
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    X = torch.randn(N, D, dtype=torch.float64)
    Y = torch.randint(0, C, (N,))
    params = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def grad_fn(params, X, Y):
        model.load_state_dict(params)
        model.zero_grad()
        criterion(model(X), Y).backward()
        return {n: p.grad.clone() for n, p in model.named_parameters()}

    return grad_fn, params, X, Y, dict(activation="tanh", alpha=0.0, **CLS)


@_case("torch_bug_weight_decay_twice", wrong=LIST3,
       bug="Puts the L2 penalty in the loss (autograd already differentiates it) and also adds "
           "wd * p to the gradients by hand, so the decay is counted twice.",
       also="loss and gradient disagree (the gradient carries twice the penalty the loss has)",
       loss_matches=True)
def make_bug_wd_twice():
    torch.manual_seed(25)
    np.random.seed(25)
    N, D, H1, H2, C = 20, 5, 9, 7, 3
    wd = 0.05
    model = ThreeLayerNet(D, H1, H2, C).double()
    X = np.random.randn(N, D)
    Y = np.random.randint(0, C, size=N)
    params = [p.detach().numpy().copy() for p in model.parameters()]

    def grad_fn(params, X, Y):
        load_params(model, params)
        model.zero_grad()
        loss = F.cross_entropy(model(torch.from_numpy(X)), torch.from_numpy(Y))
        loss = loss + wd / 2 * sum(p.pow(2).sum() for p in model.parameters())
        loss.backward()
        grads = [(p.grad + wd * p.detach()).numpy() for p in model.parameters()]
        return loss.item(), grads

    return grad_fn, params, X, Y, dict(activation="relu", alpha=wd, **CLS)


@_case("torch_bug_nll_loss_on_raw_logits", wrong=SEQ,
       bug="Uses F.nll_loss on the raw logits without log_softmax.")
def make_bug_nll_raw():
    torch.manual_seed(26)
    np.random.seed(26)
    N, D, H, C = 16, 7, 10, 3
    model = nn.Sequential(nn.Linear(D, H), nn.ReLU(), nn.Linear(H, C))
    X = torch.randn(N, D)
    Y = torch.randint(0, C, (N,))
    params = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def grad_fn(params, X, Y):
        model.load_state_dict(params)
        model.zero_grad()
        F.nll_loss(model(X), Y).backward()
        return {n: p.grad.clone() for n, p in model.named_parameters()}

    return grad_fn, params, X, Y, dict(activation="relu", alpha=0.0, **CLS)


@_case("torch_bug_sigmoid_before_bce_with_logits", wrong=TWO,
       bug="Applies torch.sigmoid before nn.BCEWithLogitsLoss, which applies the sigmoid "
           "itself.")
def make_bug_double_sigmoid():
    torch.manual_seed(27)
    np.random.seed(27)
    N, D, H, C = 20, 6, 11, 4
    model = TwoLayerNet(D, H, C, act=nn.Tanh).double()
    criterion = nn.BCEWithLogitsLoss()
    X = torch.randn(N, D, dtype=torch.float64)
    Y = (torch.rand(N, C) < 0.3).double()
    params = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def grad_fn(params, X, Y):
        model.load_state_dict(params)
        model.zero_grad()
        criterion(torch.sigmoid(model(X)), Y).backward()
        return {n: p.grad.clone() for n, p in model.named_parameters()}

    return grad_fn, params, X, Y, dict(activation="tanh", alpha=0.0, **MULTILABEL)


# ---------------------------------------------------------------------------------------------
# Style 2: backprop ninja (manual backward, node by node)
# ---------------------------------------------------------------------------------------------

NINJA_NODES = {"dprobs": "p", "dlogits": "z2", "dh": "h1", "dhpreact": "z1", "dXb": "x"}
NINJA_FUSED_NODES = {"dlogits": "z2", "dh": "h1", "dhpreact": "z1", "dXb": "x"}


def ninja(seed, n, n_in, n_hidden, n_out, act="tanh", dtype=torch.float64, fused=False,
          bug=None):
    """makemore part 4, without batchnorm: forward in small steps, backward by hand."""

    def make():
        torch.manual_seed(seed)
        np.random.seed(seed)
        g = torch.Generator().manual_seed(2147483647 + seed)
        W1 = torch.randn((n_in, n_hidden), generator=g, dtype=dtype) * (5 / 3) / n_in ** 0.5
        b1 = torch.randn(n_hidden, generator=g, dtype=dtype) * 0.1
        W2 = torch.randn((n_hidden, n_out), generator=g, dtype=dtype) * 0.3
        b2 = torch.randn(n_out, generator=g, dtype=dtype) * 0.1
        Xb = torch.randn((n, n_in), generator=g, dtype=dtype)
        Yb = torch.randint(0, n_out, (n,), generator=g)
        parameters = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}

        def grad_fn(params, Xb, Yb):
            W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
            n = Xb.shape[0]
            # forward pass, chunked into small steps that can be backwarded one at a time
            hpreact = Xb @ W1 + b1
            h = torch.tanh(hpreact) if act == "tanh" else torch.relu(hpreact)
            logits = h @ W2 + b2
            logit_maxes = logits.max(1, keepdim=True).values
            norm_logits = logits - logit_maxes
            counts = norm_logits.exp()
            counts_sum = counts.sum(1, keepdim=True)
            counts_sum_inv = counts_sum ** -1
            probs = counts * counts_sum_inv
            logprobs = probs.log()
            loss = -logprobs[range(n), Yb].mean()

            inter = {}
            if fused:
                dlogits = F.softmax(logits, 1)
                dlogits[range(n), Yb] -= 1
                dlogits /= n
            else:
                dlogprobs = torch.zeros_like(logprobs)
                if bug == "dlogprobs_sign":
                    dlogprobs[range(n), Yb] = 1.0 / n
                else:
                    dlogprobs[range(n), Yb] = -1.0 / n
                dprobs = (1.0 / probs) * dlogprobs
                dcounts_sum_inv = (counts * dprobs).sum(1, keepdim=True)
                dcounts = counts_sum_inv * dprobs
                dcounts_sum = (-counts_sum ** -2) * dcounts_sum_inv
                if bug != "dcounts_missing_branch":
                    dcounts += torch.ones_like(counts) * dcounts_sum
                dnorm_logits = counts * dcounts
                dlogits = dnorm_logits.clone()
                dlogit_maxes = (-dnorm_logits).sum(1, keepdim=True)
                dlogits += F.one_hot(logits.max(1).indices, num_classes=logits.shape[1]) \
                    * dlogit_maxes
                inter["dprobs"] = dprobs
            dh = dlogits @ W2.T
            if bug == "dW2_from_hpreact":
                dW2 = hpreact.T @ dlogits
            else:
                dW2 = h.T @ dlogits
            if bug == "db2_mean":
                db2 = dlogits.mean(0)
            else:
                db2 = dlogits.sum(0)
            if act == "tanh":
                if bug == "tanh_1_minus_h":
                    dhpreact = (1.0 - h) * dh
                elif bug == "tanh_from_hpreact":
                    dhpreact = (1.0 - hpreact ** 2) * dh
                else:
                    dhpreact = (1.0 - h ** 2) * dh
            else:
                if bug == "relu_mask_from_dh":
                    dhpreact = dh * (dh > 0)
                else:
                    dhpreact = dh * (hpreact > 0)
            if bug == "dW1_transposed":
                dW1 = dhpreact.T @ Xb
            else:
                dW1 = Xb.T @ dhpreact
            if bug == "db1_from_dh":
                db1 = dh.sum(0)
            else:
                db1 = dhpreact.sum(0)
            if bug == "dX_from_dh":
                dXb = dh @ W1.T
            else:
                dXb = dhpreact @ W1.T
            inter.update(dlogits=dlogits, dh=dh, dhpreact=dhpreact, dXb=dXb)
            grads = {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
            return loss, grads, inter

        nodes = dict(NINJA_FUSED_NODES if fused else NINJA_NODES)
        kwargs = dict(activation=act, alpha=0.0, nodes=nodes, **CLS)
        return grad_fn, parameters, Xb, Yb, kwargs

    return make


def cs231n(seed, N, D, H, C, act="relu", reg=0.0, bug=None):
    """numpy two-layer net, cs231n assignment style: intermediates go into the grads dict."""

    def make():
        np.random.seed(seed)
        torch.manual_seed(seed)
        params = {
            "W1": np.random.randn(D, H) / np.sqrt(D),
            "b1": 0.1 * np.random.randn(H),
            "W2": np.random.randn(H, C) / np.sqrt(H),
            "b2": 0.1 * np.random.randn(C),
        }
        X = np.random.randn(N, D)
        y = np.random.randint(C, size=N)

        def loss_and_grads(params, X, y):
            W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
            n = X.shape[0]
            z1 = X.dot(W1) + b1
            if act == "relu":
                hidden = np.maximum(0, z1)
            else:
                hidden = 1.0 / (1.0 + np.exp(-z1))
            scores = hidden.dot(W2) + b2
            shifted = scores - scores.max(axis=1, keepdims=True)
            probs = np.exp(shifted)
            probs /= probs.sum(axis=1, keepdims=True)
            loss = -np.log(probs[np.arange(n), y]).mean()
            loss += 0.5 * reg * sum(np.sum(p * p) for p in (W1, b1, W2, b2))  # L2 on all

            grads = {}
            if bug == "dscores_no_minus_one":
                dscores = probs / n
            else:
                dscores = probs.copy()
                dscores[np.arange(n), y] -= 1
                if bug != "dscores_not_divided_by_n":
                    dscores /= n
            grads["W2"] = hidden.T.dot(dscores) + reg * W2
            grads["b2"] = dscores.sum(axis=0) + reg * b2
            dhidden = dscores.dot(W2.T)
            if bug == "dhidden_masked_in_place":
                dhidden[hidden <= 0] = 0          # as in many posted solutions
                dz1 = dhidden
            elif act == "relu":
                dz1 = dhidden * (z1 > 0)
            else:
                dz1 = dhidden * hidden * (1 - hidden)
            grads["W1"] = X.T.dot(dz1) + reg * W1
            grads["b1"] = dz1.sum(axis=0) + reg * b1
            grads["dscores"] = dscores
            grads["dhidden"] = dhidden
            grads["dz1"] = dz1
            return loss, grads

        nodes = {"dscores": "z2", "dhidden": "h1", "dz1": "z1"}
        act_name = "relu" if act == "relu" else "logistic"
        kwargs = dict(activation=act_name, alpha=reg, nodes=nodes, **CLS)
        return loss_and_grads, params, X, y, kwargs

    return make


def two_hidden(seed, N, D, H1, H2, C, act="tanh", backend="numpy", bug=None):
    """Two hidden layers, backward by hand; intermediates as a third returned dict."""

    def make():
        np.random.seed(seed)
        torch.manual_seed(seed)
        rng = np.random.RandomState(seed)
        params = {
            "W1": rng.randn(D, H1) / np.sqrt(D), "b1": 0.1 * rng.randn(H1),
            "W2": rng.randn(H1, H2) / np.sqrt(H1), "b2": 0.1 * rng.randn(H2),
            "W3": rng.randn(H2, C) / np.sqrt(H2), "b3": 0.1 * rng.randn(C),
        }
        X = rng.randn(N, D)
        Y = rng.randint(C, size=N)
        if backend == "torch":
            params = {k: torch.tensor(v) for k, v in params.items()}
            X, Y = torch.tensor(X), torch.tensor(Y)
        lib = torch if backend == "torch" else np

        def grad_fn(params, X, Y):
            W1, b1, W2, b2, W3, b3 = (params[k] for k in NINJA3)
            n = X.shape[0]
            z1 = X @ W1 + b1
            h1 = lib.tanh(z1) if act == "tanh" else z1 * (z1 > 0)
            z2 = h1 @ W2 + b2
            h2 = lib.tanh(z2) if act == "tanh" else z2 * (z2 > 0)
            z3 = h2 @ W3 + b3
            e = lib.exp(z3 - z3.max(1, keepdims=True)[0] if backend == "torch"
                        else z3 - z3.max(1, keepdims=True))
            probs = e / e.sum(1, keepdims=True)
            loss = -lib.log(probs[range(n), Y]).mean()

            dz3 = probs * 1.0
            dz3[range(n), Y] -= 1
            dz3 = dz3 / n
            dW3 = h2.T @ dz3
            db3 = dz3.sum(0)
            dh2 = dz3 @ W3.T
            dz2 = dh2 * (1 - h2 ** 2) if act == "tanh" else dh2 * (z2 > 0)
            dW2 = h1.T @ dz2
            db2 = dz2.sum(0)
            if bug == "dh1_from_dh2":
                dh1 = dh2 @ W2.T
            else:
                dh1 = dz2 @ W2.T
            if act == "tanh":
                dz1 = dh1 * (1 - h1 ** 2)
            elif bug == "relu_mask_ge_zero":
                dz1 = dh1 * (h1 >= 0)
            else:
                dz1 = dh1 * (h1 > 0)
            dW1 = X.T @ dz1
            db1 = dz1.sum(0)
            dX = dz1 @ W1.T
            grads = {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2, "W3": dW3, "b3": db3}
            inter = {"dz3": dz3, "dh2": dh2, "dz2": dz2, "dh1": dh1, "dz1": dz1, "dX": dX}
            return loss, grads, inter

        nodes = {"dz3": "z3", "dh2": "h2", "dz2": "z2", "dh1": "h1", "dz1": "z1", "dX": "x"}
        kwargs = dict(activation=act, alpha=0.0, nodes=nodes, **CLS)
        return grad_fn, params, X, Y, kwargs

    return make


def _ninja_case(name, make, bug=None, wrong=(), first=None, also=None):
    _case(name, bug=bug, wrong=wrong, first_wrong_node=first, also=also, layout="math")(make)


# ----- correct -----
_ninja_case("ninja_full_chain_tanh_f64", ninja(100, 32, 10, 16, 6))
_ninja_case("ninja_fused_relu_f32", ninja(101, 27, 8, 14, 5, act="relu", dtype=torch.float32,
                                            fused=True))
_ninja_case("cs231n_numpy_relu_reg", cs231n(102, 20, 6, 11, 4, act="relu", reg=0.05))
_ninja_case("cs231n_numpy_sigmoid", cs231n(103, 17, 9, 12, 3, act="logistic"))
_ninja_case("two_hidden_tanh_numpy", two_hidden(104, 24, 7, 12, 9, 4, act="tanh"))
_ninja_case("two_hidden_relu_torch_f64",
            two_hidden(105, 30, 6, 13, 10, 3, act="relu", backend="torch"))

# ----- buggy: one local backward step wrong -----
_ninja_case("ninja_bug_dlogprobs_sign", ninja(110, 32, 10, 16, 6, bug="dlogprobs_sign"),
            bug="Sets dlogprobs at the labels to +1/n instead of -1/n (drops the minus sign of "
                "the negative log-likelihood).",
            wrong=NINJA, first="dprobs")
_ninja_case("ninja_bug_dcounts_missing_branch",
            ninja(111, 28, 9, 15, 5, bug="dcounts_missing_branch"),
            bug="counts is used twice (in probs and in counts_sum) but dcounts only gets the "
                "gradient through probs; the += from dcounts_sum is missing.",
            wrong=NINJA, first="dlogits")
_ninja_case("ninja_bug_tanh_1_minus_h", ninja(112, 25, 7, 12, 4, bug="tanh_1_minus_h"),
            bug="Backprops through tanh with dhpreact = (1 - h) * dh instead of (1 - h**2) * dh.",
            wrong=("W1", "b1"), first="dhpreact")
_ninja_case("ninja_bug_tanh_from_hpreact", ninja(113, 30, 11, 16, 7, bug="tanh_from_hpreact"),
            bug="Backprops through tanh with (1 - hpreact**2), using the pre-activation instead "
                "of h = tanh(hpreact).",
            wrong=("W1", "b1"), first="dhpreact")
_ninja_case("ninja_bug_dW2_from_hpreact", ninja(114, 22, 6, 13, 5, bug="dW2_from_hpreact"),
            bug="Computes dW2 = hpreact.T @ dlogits with the pre-activation instead of h.",
            wrong=("W2",), first=None)
_ninja_case("ninja_bug_db2_mean", ninja(115, 20, 8, 12, 3, bug="db2_mean"),
            bug="Computes db2 = dlogits.mean(0) instead of dlogits.sum(0) (divides by n twice).",
            wrong=("b2",), first=None)
_ninja_case("ninja_bug_dW1_transposed", ninja(116, 18, 5, 11, 4, bug="dW1_transposed"),
            bug="Computes dW1 = dhpreact.T @ Xb, the transpose of the right shape (n_hidden, "
                "n_in) instead of Xb.T @ dhpreact (n_in, n_hidden).",
            wrong=("W1",), first=None, also="gradient shape does not match params for W1")
_ninja_case("ninja_bug_db1_from_dh", ninja(117, 26, 9, 14, 6, bug="db1_from_dh"),
            bug="Computes db1 = dh.sum(0), before backpropagating through tanh, instead of "
                "dhpreact.sum(0).",
            wrong=("b1",), first=None)
_ninja_case("ninja_bug_dX_from_dh", ninja(118, 24, 7, 10, 5, bug="dX_from_dh"),
            bug="Computes dXb = dh @ W1.T, skipping the tanh derivative, instead of "
                "dhpreact @ W1.T; the parameter gradients are all right.",
            wrong=(), first="dXb",
            also="only an intermediate gradient (dL/dX) is wrong, no parameter gradient")
_ninja_case("ninja_bug_relu_mask_from_dh_f32",
            ninja(119, 27, 8, 14, 5, act="relu", dtype=torch.float32, fused=True,
                  bug="relu_mask_from_dh"),
            bug="Backprops through ReLU with the mask (dh > 0) instead of (hpreact > 0).",
            wrong=("W1", "b1"), first="dhpreact")
_ninja_case("cs231n_bug_dscores_not_divided_by_n",
            cs231n(120, 20, 6, 11, 4, act="relu", reg=0.05, bug="dscores_not_divided_by_n"),
            bug="dscores = probs - onehot is not divided by the batch size N.",
            wrong=NINJA, first="dscores")
_ninja_case("cs231n_bug_dscores_no_minus_one",
            cs231n(121, 16, 5, 9, 3, act="relu", bug="dscores_no_minus_one"),
            bug="dscores is probs / N without subtracting 1 at the correct class.",
            wrong=NINJA, first="dscores")
_ninja_case("cs231n_bug_dhidden_masked_in_place",
            cs231n(122, 19, 8, 12, 5, act="relu", bug="dhidden_masked_in_place"),
            bug="Applies the ReLU mask to dhidden in place and then returns it as dhidden, so "
                "the value labelled dL/dh1 is really dL/dz1; the parameter gradients are right.",
            wrong=(), first="dhidden",
            also="only an intermediate gradient (dL/dh1) is wrong, no parameter gradient")
_ninja_case("two_hidden_bug_dh1_from_dh2",
            two_hidden(123, 24, 7, 12, 9, 4, act="tanh", bug="dh1_from_dh2"),
            bug="Backprops into the first hidden layer with dh1 = dh2 @ W2.T, skipping the "
                "second layer's tanh derivative, instead of dz2 @ W2.T.",
            wrong=("W1", "b1"), first="dh1")
_ninja_case("two_hidden_bug_relu_mask_ge_zero",
            two_hidden(124, 30, 6, 13, 10, 3, act="relu", backend="torch",
                       bug="relu_mask_ge_zero"),
            bug="Masks the first ReLU with (h1 >= 0), which is always true, instead of (h1 > 0).",
            wrong=("W1", "b1"), first="dz1")


# ---------------------------------------------------------------------------------------------
# Self-check: float64 central differences on each network's own loss
# ---------------------------------------------------------------------------------------------

def _as_np(a):
    if isinstance(a, torch.Tensor):
        return a.detach().cpu().numpy().copy()
    return np.array(a, copy=True)


def _is_f32(a):
    return str(getattr(a, "dtype", "")).endswith("float32")


def _named(params):
    """User params as an ordered dict name -> float64 numpy array."""
    if isinstance(params, dict):
        return {k: _as_np(v).astype(np.float64) for k, v in params.items()}
    names = []
    for i in range(len(params) // 2):
        names += [f"W{i}", f"b{i}"]
    return {k: _as_np(v).astype(np.float64) for k, v in zip(names, params)}


def _copy(params):
    def cp(v):
        return v.detach().clone() if isinstance(v, torch.Tensor) else v.copy()
    if isinstance(params, dict):
        return {k: cp(v) for k, v in params.items()}
    return [cp(v) for v in params]


def _act(name, z):
    if name == "identity":
        return z
    if name == "logistic":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, z, 0.01 * z)
    raise ValueError(name)


def _layers(P, layout):
    keys = list(P)
    out = []
    for i in range(0, len(keys), 2):
        W, b = P[keys[i]], P[keys[i + 1]]
        out.append((W.T if layout == "torch" else W, b))
    return out


def _loss(P, X, Y, kw, layout, pert=None):
    pert = pert or {}
    layers = _layers(P, layout)
    L = len(layers)
    h = X + pert.get("x", 0.0)
    for k, (W, b) in enumerate(layers, 1):
        z = h @ W + b + pert.get(f"z{k}", 0.0)
        if k < L:
            h = _act(kw["activation"], z) + pert.get(f"h{k}", 0.0)
    N = X.shape[0]
    if kw["output"] == "softmax":
        T = np.eye(z.shape[1])[Y.astype(int)] if Y.ndim == 1 else Y
        m = z.max(1, keepdims=True)
        if "p" in pert:
            e = np.exp(z - m)
            p = e / e.sum(1, keepdims=True) + pert["p"]
            data = -np.sum(T * np.log(p)) / N
        else:
            logp = z - m - np.log(np.exp(z - m).sum(1, keepdims=True))
            data = -np.sum(T * logp) / N
    elif kw["output"] == "logistic":
        data = np.mean(np.logaddexp(0.0, z) - Y * z)
    else:
        data = np.mean((z - Y) ** 2)
    return data + 0.5 * kw["alpha"] * sum(np.sum(v * v) for v in P.values())


def _node_shapes(P, X, layout):
    layers = _layers(P, layout)
    L = len(layers)
    shapes = {"x": X.shape, "p": (X.shape[0], layers[-1][0].shape[1])}
    for k, (W, _) in enumerate(layers, 1):
        shapes[f"z{k}"] = (X.shape[0], W.shape[1])
        if k < L:
            shapes[f"h{k}"] = (X.shape[0], W.shape[1])
    return shapes, L


def _central(f, shape, eps=1e-6):
    g = np.zeros(shape)
    for idx in np.ndindex(shape):
        g[idx] = (f(idx, eps) - f(idx, -eps)) / (2 * eps)
    return g


def _true_grads(P, X, Y, kw, layout):
    grads = {}
    for k, v in P.items():
        def f(idx, e, v=v):
            old = v[idx]
            v[idx] = old + e
            out = _loss(P, X, Y, kw, layout)
            v[idx] = old
            return out
        grads[k] = _central(f, v.shape)
    nodes = {}
    shapes, _ = _node_shapes(P, X, layout)
    for uname, node in (kw.get("nodes") or {}).items():
        def f(idx, e, node=node):
            d = np.zeros(shapes[node])
            d[idx] = e
            return _loss(P, X, Y, kw, layout, {node: d})
        nodes[uname] = _central(f, shapes[node])
    return grads, nodes


def _scalar(v):
    if isinstance(v, (float, int, np.floating)):
        return True
    return isinstance(v, (np.ndarray, torch.Tensor)) and v.ndim == 0


def _parse(res, names, nodes):
    """Snapshot a grad_fn result: (loss or None, {param: array}, {intermediate: array})."""
    loss, inter = None, {}
    if isinstance(res, tuple) and len(res) in (2, 3) and _scalar(res[0]):
        loss = float(res[0])
        grads = res[1]
        if len(res) == 3:
            inter = dict(res[2])
    else:
        grads = res
    if isinstance(grads, dict):
        g = {k: grads[k] for k in names if k in grads}
        inter.update({k: v for k, v in grads.items() if k not in names})
    else:
        g = dict(zip(names, grads))
    dtypes = {k: v.dtype for k, v in g.items()}
    g = {k: _as_np(v).astype(np.float64) for k, v in g.items()}
    inter = {k: _as_np(v).astype(np.float64) for k, v in inter.items() if k in nodes}
    return loss, g, inter, dtypes


def _verdict(got, true, f32):
    """'ok', 'bad' or 'unclear' for one array."""
    if got is None or got.shape != true.shape or not np.all(np.isfinite(got)):
        return "bad"
    err = np.linalg.norm(got - true) / max(np.linalg.norm(true), np.linalg.norm(got), 1e-12)
    if err <= (2e-4 if f32 else 1e-6):
        return "ok"
    return "bad" if err > 1e-2 else f"unclear ({err:.2e})"


def _backprop_order(L):
    order = ["p", f"z{L}"]
    for k in range(L - 1, 0, -1):
        order += [f"h{k}", f"z{k}"]
    return order + ["x"]


def _check(case):
    name = case["name"]
    facts = _ORACLE[name]
    grad_fn, params, X, Y, kw = case["make"]()
    P = _named(params)
    names = list(P)
    Xn, Yn = _as_np(X).astype(np.float64), _as_np(Y)
    if Yn.dtype.kind == "f" and kw["output"] == "softmax" and Yn.ndim == 1:
        Yn = Yn.astype(int)
    nodes = kw.get("nodes") or {}
    true_g, true_n = _true_grads(P, Xn, Yn, kw, facts["layout"])
    params_f32 = any(_is_f32(v) for v in (params.values() if isinstance(params, dict)
                                           else params))
    problems = []

    runs = []
    for _ in range(facts.get("calls", 1)):
        pc = _copy(params)
        res = grad_fn(pc, X, Y)
        runs.append(_parse(res, names, nodes))
        changed = any(not np.array_equal(a, b) for a, b in zip(_named(pc).values(), P.values()))
        if changed != facts.get("writes", False):
            problems.append(f"params written: {changed}")

    def verdicts(run):
        loss, g, inter, dtypes = run
        f32 = params_f32 or any(str(d).endswith("float32") for d in dtypes.values())
        pv = {k: _verdict(g.get(k), true_g[k], f32) for k in names}
        nv = {k: _verdict(inter.get(k), true_n[k], f32) for k in nodes}
        return pv, nv

    if facts.get("calls", 1) > 1:
        pv, _ = verdicts(runs[0])
        if any(v != "ok" for v in pv.values()):
            problems.append(f"first call not correct: {pv}")
    loss, g, inter, dtypes = runs[-1]
    pv, nv = verdicts(runs[-1])
    unclear = {k: v for k, v in {**pv, **nv}.items() if v not in ("ok", "bad")}
    if unclear:
        problems.append(f"unclear: {unclear}")
    bad = {k for k, v in pv.items() if v == "bad"}
    if bad != case["wrong"]:
        problems.append(f"wrong params {sorted(bad)} != declared {sorted(case['wrong'])}")

    _, L = _node_shapes(P, Xn, facts["layout"])
    order = {node: i for i, node in enumerate(_backprop_order(L))}
    bad_nodes = sorted((order[nodes[k]], k) for k, v in nv.items() if v == "bad")
    first = bad_nodes[0][1] if bad_nodes else None
    if first != case["first_wrong_node"]:
        problems.append(f"first wrong node {first} != declared {case['first_wrong_node']}")
    if set(inter) != set(nodes):
        problems.append(f"intermediates returned {sorted(inter)} != nodes {sorted(nodes)}")

    if loss is not None and (case["bug"] is None or facts.get("loss_matches")):
        ref = _loss(P, Xn, Yn, kw, facts["layout"])
        tol = 1e-5 if params_f32 else 1e-10
        if abs(loss - ref) > tol * max(1.0, abs(ref)):
            problems.append(f"returned loss {loss} != {ref}")
    if facts.get("nan") and not any(np.isnan(v).any() for v in g.values()):
        problems.append("expected NaN in the gradients")
    if facts.get("grads_float32"):
        if not all(str(d).endswith("float32") for d in dtypes.values()) or params_f32:
            problems.append("expected float32 gradients for float64 params")
        if any(v != "ok" for v in pv.values()):
            problems.append(f"float32 gradients not float32-accurate: {pv}")
    if (case["bug"] is None) != (not case["wrong"] and case["first_wrong_node"] is None
                                 and not case["also"]):
        problems.append("bug / wrong / first_wrong_node / also are inconsistent")
    return problems


if __name__ == "__main__":
    import sys
    import time

    assert len({c["name"] for c in CASES}) == len(CASES), "duplicate case names"
    failed = 0
    t0 = time.time()
    for case in CASES:
        problems = _check(case)
        status = "FAIL" if problems else "ok"
        kind = "correct" if case["bug"] is None else "buggy"
        print(f"{status:4s} {kind:7s} {case['name']}")
        for p in problems:
            print("       ", p)
        failed += bool(problems)
    style1 = [c for c in CASES if _ORACLE[c["name"]]["layout"] == "torch"]
    style2 = [c for c in CASES if _ORACLE[c["name"]]["layout"] == "math"]
    for label, group in (("pytorch users", style1), ("backprop ninja", style2)):
        n_ok = sum(c["bug"] is None for c in group)
        print(f"{label}: {n_ok} correct, {len(group) - n_ok} buggy")
    print(f"{len(CASES)} cases, {failed} failed, {time.time() - t0:.1f}s")
    sys.exit(1 if failed else 0)
