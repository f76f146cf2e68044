"""What each framework automates: for each step, where scratch does it by hand, and what
PyTorch and scikit-learn do for you."""

STEPS = [
    ("init", "scratch/layers/initialization.py: glorot_uniform",
     "nn.Linear.reset_parameters: kaiming_uniform(a=sqrt(5)) for W, U(+-1/sqrt(fan_in)) for b",
     "MLPClassifier._init_coef: Glorot-uniform W and b from random_state"),
    ("forward", "scratch/network.py: Network.forward; dense.py: Dense.forward; "
     "activations.py",
     "nn.Module.__call__ runs forward and records the graph for autograd",
     "MLPClassifier._forward_pass (in place, layer by layer)"),
    ("loss", "scratch/layers/losses.py: SoftmaxCrossEntropy, LogisticLoss, SquaredError, "
     "PoissonLoss",
     "nn.CrossEntropyLoss, BCEWithLogitsLoss, MSELoss (reduction='mean')",
     "neural_network._base.LOSS_FUNCTIONS, picked from the target type"),
    ("backward", "scratch/network.py: Network.backward, each layer's backward",
     "loss.backward(): autograd, from the recorded graph",
     "MLPClassifier._backprop"),
    ("optimizer", "scratch/optim/sgd.py: SGD.step; adam.py: Adam.step; lbfgs.py; schedules.py",
     "torch.optim.SGD / Adam / AdamW; torch.optim.lr_scheduler (you call it)",
     "_stochastic_optimizers.SGDOptimizer / AdamOptimizer; scipy L-BFGS-B"),
    ("batching", "scratch/batching.py: gen_batches, shuffle_indices",
     "DataLoader(dataset, batch_size, shuffle=True, generator=...)",
     "gen_batches + shuffle inside fit; batch_size='auto' = min(200, n)"),
    ("zeroing gradients", "nothing to zero: each layer's backward writes its gradient "
     "(np.matmul(..., out=grad_W))",
     "you call optimizer.zero_grad() (or model.zero_grad()) before each backward: autograd "
     "adds into .grad",
     "nothing to zero: _backprop overwrites its gradient arrays"),
    ("regularisation", "scratch/network.py: loss_and_gradients adds alpha / (2 n) sum W^2 "
     "and alpha W / n",
     "weight_decay in the optimizer (every parameter, not scaled by the batch) or your own "
     "penalty term",
     "alpha: the penalty alpha / (2 n) sum W^2 on the weights, added inside _backprop"),
    ("training loop", "scratch/training.py: fit_stochastic (epochs, batches, the loss "
     "curve, stopping)",
     "you write it: for epoch: for batch: zero_grad, forward, loss, backward, step",
     "fit(X, y), partial_fit for one epoch at a time"),
    ("early stopping", "scratch/training.py: split_validation, update_no_improvement_count",
     "nothing built in: you hold out data and write the loop",
     "early_stopping=True, validation_fraction, n_iter_no_change, tol"),
    ("prediction", "scratch/estimators/classifier.py: predict / predict_proba (forward without "
     "dropout, the output unit's inverse: argmax or threshold 0.5)",
     "you call model.eval() (dropout off), wrap in torch.no_grad(), take argmax or sigmoid "
     "> 0.5 yourself",
     "predict, predict_proba, score; the label encoding is undone for you"),
]
