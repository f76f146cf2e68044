"""What each framework automates: for each step, where scratch does it by hand, and what
PyTorch and scikit-learn do for you."""

STEPS = [
    ("init", "scratch/initialization.py: glorot_uniform",
     "nn.Linear.reset_parameters: kaiming_uniform(a=sqrt(5)) for W, U(+-1/sqrt(fan_in)) for b",
     "MLPClassifier._init_coef: Glorot-uniform W and b from random_state"),
    ("forward", "scratch/network.py: Network.forward; dense.py: Dense.forward; "
     "activations.py",
     "nn.Module.__call__ runs forward and records the graph for autograd",
     "MLPClassifier._forward_pass (in place, layer by layer)"),
    ("loss", "scratch/losses.py: SoftmaxCrossEntropy, LogisticLoss, SquaredError, PoissonLoss",
     "nn.CrossEntropyLoss, BCEWithLogitsLoss, MSELoss (reduction='mean')",
     "neural_network._base.LOSS_FUNCTIONS, picked from the target type"),
    ("backward", "scratch/network.py: Network.backward, each layer's backward",
     "loss.backward(): autograd, from the recorded graph",
     "MLPClassifier._backprop"),
    ("optimizer", "scratch/sgd.py: SGD.step; adam.py: Adam.step; lbfgs.py; schedules.py",
     "torch.optim.SGD / Adam / AdamW; torch.optim.lr_scheduler (you call it)",
     "_stochastic_optimizers.SGDOptimizer / AdamOptimizer; scipy L-BFGS-B"),
    ("batching", "scratch/batching.py: gen_batches, shuffle_indices",
     "DataLoader(dataset, batch_size, shuffle=True, generator=...)",
     "gen_batches + shuffle inside fit; batch_size='auto' = min(200, n)"),
    ("early stopping", "scratch/training.py: split_validation, update_no_improvement_count",
     "nothing built in: you hold out data and write the loop",
     "early_stopping=True, validation_fraction, n_iter_no_change, tol"),
]
