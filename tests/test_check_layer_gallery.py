"""check_layer on CS231n-style layers written by another hand, blind to the checker
(tests/gallery/layers_cs231n.py): every correct layer passes, every planted mistake is
detected in exactly the inputs it spoils, and the diagnosis names it (or, for the few no
catalogue holds, says the gradient is not the forward's and shows where it is worst)."""

import warnings

import pytest

from reference import check_layer
from tests.gallery.layers_cs231n import CASES as GALLERY

CASES = {case["name"]: case for case in GALLERY}
CORRECT = [name for name, case in CASES.items() if case["bug"] is None]
BUGS = [name for name, case in CASES.items() if case["bug"] is not None]
LOCALISED = "worst at"  # no slip reproduces it: where it is worst, and how much

EXPECTED = {
    "affine_bug_dx_not_reshaped": "x's flattened shape (N, D); reshape it back to",
    "affine_bug_dw_transposed": "it is transposed",
    "affine_bug_db_mean": 'db is averaged over the batch (divided by N) while dW',
    "affine_bug_dw_x_reshaped_DN": LOCALISED,
    "affine_bug_grads_wrong_order": 'backward returns the gradients in another order than the',
    "relu_bug_mask_from_dout": 'the mask is taken from dout (dout > 0) instead of from x (x',
    "relu_bug_mask_ge_zero": "at x == 0 it passes dout on (a mask x >= 0)",
    "relu_bug_inplace_forward": 'forward wrote into its input x: a layer must leave them',
    "relu_bug_dx_times_out": 'dout is multiplied by the output max(x, 0) instead of by',
    "leaky_relu_bug_no_slope": "the gradient below 0 is 0 (ReLU's) instead of the",
    "leaky_relu_bug_swapped_slopes": 'the slope is applied above 0 and 1 below, the wrong way',
    "sigmoid_bug_derivative_from_x": 'the derivative is taken at the input x (x (1 - x)) instead',
    "sigmoid_bug_sign": 'x is -1 times the right gradient (the sign is',
    "tanh_bug_not_squared": 'the derivative is written 1 - t instead of 1 -',
    "tanh_bug_derivative_from_x": 'the derivative is taken at the input x (1 - x^2) instead of',
    "softmax_bug_diagonal_jacobian": "the softmax's Jacobian is cut to its diagonal: dout p (1 -",
    "softmax_bug_sum_axis0": 'the sum in p (dout - sum(p dout)) runs over the batch axis',
    "softmax_bug_forward_normalises_columns":
        'Your forward is not softmax: it computes a softmax over the',
    "softmax_loss_bug_not_divided_by_N":
        'the gradient sums over the batch while the loss averages:',
    "softmax_loss_bug_no_minus_one": 'the target is not subtracted: the gradient is p instead of',
    "softmax_loss_bug_column_index": LOCALISED,
    "softmax_loss_bug_loss_summed": 'the gradient averages over the batch while the loss sums:',
    "mse_bug_no_factor_two": 'the gradient is that of the mean over the batch of half the',
    "mse_bug_sign": 'the sign is flipped: y - pred instead of pred -',
    "mse_bug_not_divided_by_N": 'the gradient is that of the sum of squares (no mean, no',
    "dropout_bug_backward_not_divided":
        'the scale 1 / keep is missing in backward (the forward has',
    "dropout_bug_forward_not_inverted":
        'backward divides by 0.6 (p = 0.6 read as the probability to',
    "dropout_bug_backward_ignores_mask":
        'backward passes dout back unchanged: neither the mask nor',
    "dropout_bug_unseeded": 'forward gave different outputs for the same inputs on two',
    "dropout_bug_backward_redraws_mask": LOCALISED,
    "batchnorm_bug_no_mean_var_paths": "dx lacks x's paths through the mean and the variance: dx =",
    "batchnorm_bug_dx_sign": "the closed form's last term has the wrong sign: + x_hat",
    "batchnorm_bug_dgamma_uses_x": 'dgamma is built from x instead of the normalised x_hat:',
    "batchnorm_bug_unbiased_var_forward":
        'dx is the closed form for the other variance (divided by N',
    "batchnorm_bug_dbeta_mean": 'beta is 0.125 times the right gradient (1/N, N = 8:',
    "batchnorm_bug_alt_missing_N": "the closed form's last term is summed, not averaged: x_hat",
    "batchnorm_bug_inplace_centering": 'forward wrote into its input x: a layer must leave them',
    "spatial_batchnorm_bug_no_transpose": LOCALISED,
    "layernorm_bug_stats_axis0": 'Your forward is not layernorm: it computes batch',
    "layernorm_bug_batchnorm_backward":
        "dx is the other normalisation's backward: its sums run over",
    "layernorm_bug_dgamma_axis1": 'one value per sample, summed over the wrong axes (sum over',
    "layernorm_bug_no_var_path": "dx lacks x's path through the variance (the mean's path is",
    "conv_bug_dw_flipped": 'dw is flipped: the gradient of a true convolution for the',
    "conv_bug_dx_keeps_padding": 'it keeps the padding (drop 1 row and column on each',
    "conv_bug_db_wrong_axes": 'one value per sample, summed over the wrong axes (sum over',
    "conv_bug_dx_overwrite": 'dx is assigned (=) where it must add (+=): where windows',
    "conv_bug_backward_ignores_stride":
        'the backward pass places window (i, j) at (i, j) instead of',
    "conv_bug_dw_averaged": "w is 0.5 times the right gradient (1/N, N = 2",
    "maxpool_bug_whole_window": "each window's gradient goes to every element of the window,",
    "maxpool_bug_swapped_index": "the window's flat argmax is unravelled with rows and",
    "maxpool_bug_all_tied_maxima": "at a tie, every maximum of the window gets the gradient",
    "maxpool_bug_overwrite": "dx is assigned (=) at each window's maximum where it must",
    "maxpool_bug_backward_ignores_stride":
        'the backward pass looks for window (i, j) at (i, j) instead',
}


def run(name):
    forward, backward, inputs, kwargs = CASES[name]["make"]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return check_layer(forward, backward, *inputs, **kwargs)


def test_the_gallery_covers_every_kind_and_every_bug_has_an_expectation():
    kinds = {CASES[name]["make"]()[3]["kind"] for name in CASES}
    assert len(kinds) == 13 and len(CORRECT) >= 13 and len(BUGS) >= 30
    assert set(BUGS) == set(EXPECTED)


@pytest.mark.parametrize("name", CORRECT)
def test_a_correct_layer_passes(name):
    report = run(name)
    assert report.ok, str(report)


@pytest.mark.parametrize("name", BUGS)
def test_a_planted_mistake_is_caught_localised_and_said(name):
    report = run(name)
    assert not report.ok, str(report)
    wrong = {row["name"] for row in report.rows if not row["ok"]}
    assert wrong == set(CASES[name]["wrong"]), str(report)
    assert EXPECTED[name] in " ".join(report.diagnosis), str(report)


def test_most_mistakes_are_named():
    named = [name for name, phrase in EXPECTED.items() if phrase != LOCALISED]
    assert len(named) >= 0.8 * len(BUGS)
