"""check_backprop on networks written by other hands, in five public styles (tests/gallery:
CS231n's and Karpathy's, Nielsen's and a textbook tanh regressor, PyTorch users' and
Karpathy's "backprop ninja"), written blind to the checker: every correct one passes, every
planted mistake is detected, the arrays it spoils are the ones named wrong, and the
diagnosis names the mistake, as the slips of the checker's grammar that reproduce it (or,
for the few none reproduces, says where the error enters and what comes closest, and no
more)."""

import warnings

import pytest

from reference import check_backprop
from tests.gallery import cs231n_karpathy, nielsen_textbook, pytorch_users

CASES = {case["name"]: case for module in (cs231n_karpathy, nielsen_textbook, pytorch_users)
         for case in module.CASES}
CORRECT = [name for name, case in CASES.items() if case["bug"] is None]
BUGS = [name for name, case in CASES.items() if case["bug"] is not None]

LOCALISED = "match"  # where no slip of the grammar fits: "... match no slip of the checker's
#                      grammar ..." and where the error enters

# A gradient that is exact for a coherent objective nobody can tell from the bug without the
# loss: the data summed over the batch with torch's weight_decay (no loss returned).
COHERENT = {"torch_bug_sum_reduction_with_weight_decay"}
# Right to float32's precision, which is within the float64 tolerance: OK, with a note.
NOTED = {"torch_bug_float32_model_for_float64_params"}

EXPECTED = {
    "cs231n_bug_mask_from_grad": 'the ReLU derivative (its mask) is read from the',
    "cs231n_bug_reg_grad_factor": 'The L2 term of your loss is twice what your gradient',
    "cs231n_bug_dscores_not_divided": 'The data part of your loss is 0.09091 times that of',
    "cs231n_bug_W2_not_transposed": 'the backward multiply uses W where it needs its',
    "cs231n_bug_reg_grad_on_biases": 'Your gradient adds an L2 term on the biases (0.4 b)',
    "cs231n_bug_reg_added_twice": "W2: the L2 term is twice the convention's: a penalty",
    "cs231n_bug_softmax_axis0": 'the softmax is normalised over the wrong axis (its sum',
    "cs231n_bug_no_shift_overflow": "W1's gradient is not usable: it holds NaN at 144 of",
    "cs231n_bug_mask_strict_less": "the activation's derivative is missing: the error",
    "cs231n_bug_db2_mean": 'b2: the bias gradient is averaged over the batch while',
    "cs231n_bug_db1_axis1": "b1's gradient has one row per sample (13,): the bias",
    "cs231n_bug_centre_X_in_place": 'grad_fn wrote into its arguments: X changed during the',
    "cs231n_bug_sgd_step_in_loss": 'grad_fn wrote into its arguments: W1, b1, W2 and b2',
    "cs231n_three_layer_bug_copy_db1": "b2's gradient holds exactly the values of b1's: the",
    "cs231n_three_layer_bug_mask_wrong_layer": 'the ReLU derivative is read from the layer below',
    "cs231n_tanh_bug_derivative": 'the tanh derivative is written 1 - h (not squared)',
    "cs231n_sigmoid_bug_derivative_on_z": 'the sigmoid derivative is taken at the pre-activation z',
    "karpathy_bug_mask_from_dhidden": 'the ReLU derivative (its mask) is read from the',
    "karpathy_bug_no_relu_backward": "the activation's derivative is missing: the error",
    "karpathy_bug_dscores_not_divided": 'The data part of your loss is 0.04762 times that of',
    "karpathy_bug_reg_grad_doubled": 'The L2 term of your loss is half what your gradient',
    "karpathy_bug_reg_grad_missing_W2": 'W1: the L2 term is missing (alpha = 0.3 was',
    "karpathy_bug_W2_not_transposed": 'the backward multiply uses W where it needs its',
    "karpathy_bug_loss_not_averaged": 'The data part of your loss is 24 times that of the',
    "karpathy_bug_loss_after_dscores": 'Your loss is nan: a loss that is not a finite number',
    "karpathy_bug_mask_without_bias": 'the ReLU derivative is read from the pre-activation',
    "karpathy_bug_softmax_global_sum": 'the softmax is normalised by the sum over the whole',
    "karpathy_bug_dW2_from_preactivation": 'the weight gradient is built from z where it needs h',
    "karpathy_bug_reg_on_b": 'b0: this bias is penalised by L2 while the other',
    "karpathy_bug_return_order": 'grad_fn returns the gradients in another order than',
    "karpathy_bug_update_before_backprop": 'grad_fn wrote into its arguments: W1 and b1 changed',
    "karpathy_bug_N_from_shape1": "every array's data part is the summed gradient divided",
    "karpathy_bug_db2_divided_again": 'b1: the bias gradient is averaged over the batch while',
    "karpathy_bug_dW_before_mask": 'the weight gradient is built from dL/dh where it needs',
    "karpathy_bug_relu_mask_on_dscores": "the hidden activation's derivative f'(z) is applied to",
    "nielsen_sp_of_activation_output": "the output sigmoid's derivative is computed from the",
    "nielsen2_sp_of_activation_hidden": 'the sigmoid derivative is written sigmoid(h) (1 -',
    "nielsen2_leftover_output_z_in_hidden": "the sigmoid derivative is read from the output",
    "nielsen_no_transpose_backward": 'the backward multiply uses W where it needs its',
    "nielsen2_matrix_nabla_w_transposed": "weights[0]'s gradient has shape (5, 8) but weights[0]",
    "nielsen_bias_not_accumulated": "the bias gradient is the last sample's delta, not the",
    "nielsen2_l2_on_biases": 'Your gradient divides the L2 term by the batch size n',
    "nielsen2_l2_forgotten_in_gradient": 'weights[0], weights[1] and weights[2]: the L2 term is',
    "nielsen2_summed_data_averaged_l2": 'Your gradient sums the data part over the batch but',
    "nielsen_output_delta_sign_flipped": 'the output delta has the wrong sign (y - p instead of p',
    "nielsen2_ce_delta_times_sigmoid_prime": "the output delta is multiplied by the output's",
    "nielsen_quadratic_missing_sigmoid_prime":
        'the output delta is p - y, the gradient that softmax',
    "nielsen_explicit_2hidden_copy_paste_z": 'the sigmoid derivative is read from the layer above',
    "nielsen_output_nabla_w_overwritten_activation":
        'the weight gradient is built from p where it needs h',
    "reg_tanh_derivative_of_activation": 'the tanh derivative is written 1 - tanh(h)^2 instead of',
    "reg_tanh_derivative_no_square": 'the tanh derivative is written 1 - h (not squared)',
    "reg_2hidden_no_transpose_backward": 'the backward multiply uses W where it needs its',
    "reg_dW_transposed": "W0's gradient has shape (7, 4) but W0 is (4, 7): it is",
    "reg_half_dropped_in_gradient": 'The data part of your loss is 0.5 times that of the',
    "reg_half_added_in_gradient": 'The data part of your loss is 2 times that of the',
    "reg_tanh_derivative_twice": 'the tanh derivative is applied twice (1 - h^2',
    "reg_z_overwritten_by_output": "the tanh derivative is read from the output layer's z,",
    "reg_hidden_bias_mean": 'b0: the bias gradient is averaged over the batch while',
    "reg_output_error_sign_flipped": 'the output delta has the wrong sign (y - p instead of p',
    "reg_per_sample_output_bias_not_accumulated":
        "the bias gradient is the last sample's delta, not the",
    "reg_not_averaged_over_outputs": 'The data part of your loss is 0.3333 times that of the',
    "reg_dW2_uses_preactivation": 'the weight gradient is built from z where it needs h',
    "reg_db1_before_tanh_derivative": 'the bias gradient is built from dL/dh where it needs',
    "reg_l2_on_biases": 'Your gradient divides the L2 term by the batch size n',
    "reg_output_bias_sum_without_axis": "b1's gradient is a single number () but b1 is (3,):",
    "reg_2hidden_wrong_layer_activation": 'the tanh derivative is read from the layer above (1 -',
    "torch_bug_no_zero_grad": 'grad_fn returned different gradients for the same',
    "torch_bug_softmax_before_cross_entropy": 'a softmax is applied before a loss that applies its',
    "torch_bug_detached_features": 'no gradient reaches the layer of fc2.weight: the error',
    "torch_bug_weight_decay_on_weights_only":
        'Your loss has an L2 term on the biases (its gradient',
    "torch_bug_grads_sorted_by_name": 'grad_fn returns the gradients in another order than',
    "torch_bug_bce_by_hand_log_of_zero": "fc1.weight's gradient is not usable: it holds NaN at",
    "torch_bug_sgd_step_inside_grad_fn": 'grad_fn wrote into its arguments: fc1.weight,',
    "torch_bug_manual_dW2_wrong_transpose": "fc2.weight's gradient has shape (9, 3) but fc2.weight",
    "torch_bug_inplace_tanh_needed_later": 'the tanh derivative is written 1 - tanh(h)^2',
    "torch_bug_inplace_relu_through_data": "the activation's derivative is missing: the error",
    "torch_bug_float32_model_for_float64_params": 'carry float32\'s precision although your',
    "torch_bug_microbatch_means_summed": LOCALISED,
    "torch_bug_mse_broadcast_targets": 'compared with the mean of the targets',
    "torch_bug_label_smoothing_left_on": 'are smoothed with epsilon = 0.1',
    "torch_bug_weight_decay_twice": 'The L2 term of your loss is half what your gradient',
    "torch_bug_nll_loss_on_raw_logits": 'the scores are used as log-probabilities: the loss is',
    "torch_bug_sigmoid_before_bce_with_logits":
        'a sigmoid is applied before a loss that applies its',
    "ninja_bug_dlogprobs_sign": 'the output delta has the wrong sign (y - p instead of p',
    "ninja_bug_dcounts_missing_branch": LOCALISED,
    "ninja_bug_tanh_1_minus_h": 'the tanh derivative is written 1 - h (not squared)',
    "ninja_bug_tanh_from_hpreact": 'the tanh derivative is taken at the pre-activation z',
    "ninja_bug_dW2_from_hpreact": 'the weight gradient is built from z where it needs h',
    "ninja_bug_db2_mean": 'b2: the bias gradient is averaged over the batch while',
    "ninja_bug_dW1_transposed": "W1's gradient has shape (11, 5) but W1 is (5, 11): it",
    "ninja_bug_db1_from_dh": 'the bias gradient is built from dL/dh where it needs',
    "ninja_bug_dX_from_dh": 'the gradient of X is built from dL/dh where it needs delta',
    "ninja_bug_relu_mask_from_dh_f32": 'the ReLU derivative (its mask) is read from the',
    "cs231n_bug_dscores_not_divided_by_n": 'The data part of your loss is 0.05 times that of the',
    "cs231n_bug_dscores_no_minus_one": 'the target is not subtracted: the output delta is p',
    "cs231n_bug_dhidden_masked_in_place": 'dhidden (h1) is the first wrong node: it holds the',
    "two_hidden_bug_dh1_from_dh2": 'the error passed down is built from dL/dh where it',
    "two_hidden_bug_relu_mask_ge_zero": "the activation's derivative is missing: the error",
}


def run(name):
    grad_fn, params, X, Y, kwargs = CASES[name]["make"]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the buggy nets' own overflows
        return check_backprop(grad_fn, params, X, Y, **kwargs)


def test_the_gallery_is_large_and_every_bug_has_an_expectation():
    assert len(CORRECT) >= 40 and len(BUGS) >= 90
    assert set(BUGS) == set(EXPECTED) | COHERENT


@pytest.mark.parametrize("name", CORRECT)
def test_a_correct_network_passes(name):
    report = run(name)
    assert report.ok, str(report)
    assert all(row["ok"] for row in report.params) and report.loss_ok in (True, None)


@pytest.mark.parametrize("name", BUGS)
def test_a_planted_mistake_is_detected_and_said(name):
    report = run(name)
    case = CASES[name]
    wrong = {row["name"] for row in report.params if not row["ok"]}
    if name in COHERENT:
        assert report.ok and "summed over the batch" in report.conventions["batch"]
        return
    if name in NOTED:
        assert EXPECTED[name] in " ".join(report.diagnosis)
        return
    assert not report.ok, str(report)
    assert wrong in (set(case["wrong"]), set()), str(report)  # none, where the loss tells
    assert EXPECTED[name] in " ".join(report.diagnosis), str(report)


def test_most_mistakes_are_named_not_only_localised():
    named = [name for name, phrase in EXPECTED.items() if phrase != LOCALISED]
    assert len(named) >= 0.95 * len(BUGS)
