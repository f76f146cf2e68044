"""The lecture's classics, small and independent of the estimators (the notebooks use them).

- ``perceptron.py``: Rosenblatt's perceptron (1958) and Widrow and Hoff's Adaline (1960).
- ``worked_example.py``: the slides' network, four inputs and two hidden units, by hand.
- ``autodiff.py``: a scalar reverse-mode engine (micrograd's), with the lecture's gates.
- ``reverse_mode.py``: reverse mode against forward mode as the layers widen.
- ``vanishing.py``: gradient norms per layer through deep sigmoid and ReLU stacks.
- ``textbook_net.py``: the chapter's network, written the way a student writes it.
"""
