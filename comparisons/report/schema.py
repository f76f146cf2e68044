"""The documented schema of results.json (JSON Schema, draft 2020-12).

Every field carries its description; ``validate(results)`` raises if a results dict does not
conform. docs/results.md is this schema rendered for reading.
"""

NUMBER_LIST = {"type": "array", "items": {"type": "number"}}
PAIR = {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2,
        "description": "[coefficient matrix, intercept vector]"}

MODEL = {
    "type": "object",
    "description": "One framework's runs on one data set.",
    "required": ["test_accuracy", "train_accuracy", "fit_seconds", "n_iter", "loss_curve",
                 "confusion_matrix"],
    "properties": {
        "test_accuracy": {**NUMBER_LIST, "description": "Test accuracy, one per seed."},
        "train_accuracy": {**NUMBER_LIST, "description": "Training accuracy, one per seed."},
        "fit_seconds": {**NUMBER_LIST, "description": "Wall-clock seconds of fit, per seed."},
        "n_iter": {"type": "array", "items": {"type": "integer"},
                   "description": "Epochs run (n_iter_), per seed."},
        "loss_curve": {**NUMBER_LIST, "description": "loss_curve_ of the seed-0 fit."},
        "confusion_matrix": {"type": "array", "items": {"type": "array"},
                             "description": "Test confusion matrix of the seed-0 fit."},
    },
}

DATASET = {
    "type": "object",
    "required": ["source", "n_train", "n_test", "n_features", "n_classes", "params", "models",
                 "accuracy_vs_sklearn", "gradient_check", "trajectory"],
    "properties": {
        "source": {"type": "string", "description": "Where the data come from and how they "
                                                    "are split and scaled, in a sentence."},
        "n_train": {"type": "integer"}, "n_test": {"type": "integer"},
        "n_features": {"type": "integer"}, "n_classes": {"type": "integer"},
        "params": {"type": "object", "description": "Parameters given to every model."},
        "models": {
            "type": "object",
            "description": "scratch, torch (the twin, sklearn conventions), torch_native "
                           "(the twin, torch conventions), sklearn.",
            "required": ["scratch", "torch", "torch_native", "sklearn"],
            "additionalProperties": MODEL,
        },
        "accuracy_vs_sklearn": {
            "type": "object",
            "description": "Per model, paired differences of test accuracy from "
                           "scikit-learn's over seeds.",
            "additionalProperties": {
                "type": "object",
                "required": ["mean_difference", "standard_error", "within_noise"],
                "properties": {
                    "mean_difference": {"type": "number"},
                    "standard_error": {"type": ["number", "null"],
                                       "description": "null with a single seed"},
                    "within_noise": {"type": "boolean",
                                     "description": "|mean| <= 2 standard errors, or every "
                                                    "difference is 0"},
                },
            },
        },
        "gradient_check": {
            "type": "object",
            "description": "Max relative gradient difference (max |a - b| / max(|a|, |b|) per "
                           "array) at scikit-learn's initial weights, alpha > 0, float64.",
            "required": ["scratch_vs_torch", "scratch_vs_sklearn",
                         "scratch_vs_finite_differences", "per_layer", "alpha", "n_samples"],
            "properties": {
                "scratch_vs_torch": {"type": "number"},
                "scratch_vs_sklearn": {"type": "number"},
                "scratch_vs_finite_differences": {"type": "number"},
                "alpha": {"type": "number"}, "n_samples": {"type": "integer"},
                "finite_differences_skipped_at_kinks": {
                    "type": "integer",
                    "description": "Coordinates left out of the finite-difference check "
                                   "because a step of +-2h moved a ReLU unit across 0."},
                "per_layer": {"type": "array", "items": {
                    "type": "object",
                    "required": ["layer", "shape", "scratch_vs_torch", "scratch_vs_sklearn",
                                 "scratch_vs_finite_differences"],
                    "properties": {"layer": {"type": "integer"},
                                   "shape": {"type": "array", "items": {"type": "integer"}},
                                   "scratch_vs_torch": PAIR, "scratch_vs_sklearn": PAIR,
                                   "scratch_vs_finite_differences": PAIR}}},
            },
        },
        "trajectory": {
            "type": "object",
            "description": "Max |weight difference| from scikit-learn's after training from "
                           "the same weights with the same batches, float64.",
            "required": ["scratch_vs_sklearn", "torch_vs_sklearn", "epochs"],
            "properties": {"scratch_vs_sklearn": {"type": "number"},
                           "torch_vs_sklearn": {"type": "number"},
                           "epochs": {"type": "integer"}},
        },
    },
}

TEXTBOOK = {
    "type": "object",
    "description": "Present when MNIST is run: the textbook's network (Raschka, ch. 12) in the "
                   "twins' parameters, trained from the book's initial weights by each "
                   "framework.",
    "required": ["book", "params", "n_train", "n_test", "epochs", "models", "source"],
    "properties": {
        "book": {"type": "object", "description": "The book's own settings and its reported "
                                                  "test accuracy on full MNIST."},
        "params": {"type": "object", "description": "The same settings as the twins' (and "
                                                    "scikit-learn's) parameters."},
        "n_train": {"type": "integer", "description": "Training images (a multiple of the "
                                                      "minibatch size)."},
        "n_test": {"type": "integer"}, "epochs": {"type": "integer"},
        "source": {"type": "string"},
        "models": {"type": "object", "required": ["scratch", "torch", "sklearn"],
                   "additionalProperties": {
                       "type": "object",
                       "required": ["test_accuracy", "train_accuracy", "fit_seconds",
                                    "loss_curve"],
                       "properties": {"test_accuracy": NUMBER_LIST, "train_accuracy": NUMBER_LIST,
                                      "fit_seconds": NUMBER_LIST, "loss_curve": NUMBER_LIST}}},
    },
}

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "python -m comparisons results",
    "type": "object",
    "required": ["schema_version", "created", "command", "settings", "versions", "machine",
                 "datasets", "conventions", "lecture", "checker"],
    "properties": {
        "schema_version": {"const": 1},
        "created": {"type": "string", "description": "UTC time, ISO 8601."},
        "command": {"type": "string", "description": "The command line that made the run."},
        "settings": {
            "type": "object", "required": ["seeds", "quick", "datasets", "jobs", "wall_seconds"],
            "properties": {
                "seeds": {"type": "integer"}, "quick": {"type": "boolean"},
                "datasets": {"type": "array", "items": {"type": "string"}},
                "jobs": {"type": "integer", "description": "Fits run at a time (--jobs), each "
                                                          "on one thread."},
                "wall_seconds": {"type": "number",
                                 "description": "Wall-clock seconds of the experiments."}}},
        "versions": {
            "type": "object",
            "required": ["python", "numpy", "scipy", "torch", "scikit-learn"],
            "additionalProperties": {"type": "string"},
        },
        "machine": {
            "type": "object",
            "required": ["platform", "processor", "cpu_count"],
            "description": "What the run ran on (platform.platform(), the CPU model from "
                           "/proc/cpuinfo when there is one, os.cpu_count()).",
        },
        "datasets": {"type": "object", "additionalProperties": DATASET,
                     "description": "One entry per data set run: xor, digits, mnist."},
        "textbook": TEXTBOOK,
        "checker": {
            "type": "object",
            "description": "reference.check_backprop on the textbook's network as written and "
                           "with the classic mistake planted, and reference.check_optimizer on "
                           "scratch's Adam: each verdict and its printed report.",
            "required": ["textbook", "mistake", "optimizer"],
            "additionalProperties": {"type": "object", "required": ["ok", "text"]}},
        "conventions": {
            "type": "object",
            "description": "Per-epoch distance (max |weight difference|) from scikit-learn of "
                           "the torch twin with every conversion and without one.",
            "required": ["epochs", "rows", "scratch_vs_sklearn"],
            "properties": {
                "epochs": {"type": "integer"},
                "scratch_vs_sklearn": NUMBER_LIST,
                "rows": {"type": "array", "items": {
                    "type": "object",
                    "required": ["name", "switch", "with_conversion", "without_conversion"],
                    "properties": {"name": {"type": "string"}, "switch": {"type": "object"},
                                   "with_conversion": NUMBER_LIST,
                                   "without_conversion": NUMBER_LIST}}},
            },
        },
        "lecture": {
            "type": "object",
            "description": "The lecture's experiments (comparisons/report/lecture.py), in its "
                           "order.",
            "required": ["ancestors", "xor_single_layer", "worked_example", "gates",
                         "sigmoid_derivative", "reverse_vs_forward", "vanishing_gradients",
                         "vanishing_in_training", "dropout"],
            "properties": {
                "ancestors": {"type": "object", "description": "Per gate (AND, OR, XOR) and "
                              "model (perceptron, adaline): points misclassified after each "
                              "epoch, seed 0."},
                "xor_single_layer": {
                    "type": "object",
                    "description": "XOR points right after training, per seed, for the single "
                                   "layers (best seed's run drawn in the figure), and the "
                                   "MLP's.",
                    "required": ["perceptron", "adaline", "sklearn_perceptron", "mlp"]},
                "worked_example": {
                    "type": "object", "required": ["inputs", "nodes", "s",
                                                   "max_difference_vs_torch"],
                    "description": "The small-integer example: inputs, every node's value, "
                                   "local, upstream and downstream gradient, torch's numbers."},
                "gates": {"type": "array", "items": {
                    "type": "object", "required": ["gate", "upstream", "ours", "torch"]}},
                "sigmoid_derivative": {"type": "array", "description": "s (1 - s) against "
                                       "torch autograd and a finite difference."},
                "reverse_vs_forward": {
                    "type": "array",
                    "description": "Per width: multiply-adds and seconds of reverse and "
                                   "forward mode (one BLAS thread), over repeated runs.",
                    "items": {
                        "type": "object",
                        "required": ["width", "reverse_ops", "forward_ops", "reverse_seconds",
                                     "forward_seconds", "reverse_seconds_quartiles",
                                     "forward_seconds_quartiles", "ratio", "ratio_quartiles",
                                     "repeats", "difference"],
                        "properties": {
                            "repeats": {"type": "integer", "description": "Runs timed (a "
                                        "first run, which warms the caches, left out)."},
                            "reverse_seconds": {"type": "number", "description": "Median "
                                                "seconds of reverse mode over the runs."},
                            "forward_seconds": {"type": "number", "description": "Median "
                                                "seconds of forward mode over the runs."},
                            "reverse_seconds_quartiles": {
                                "type": "array", "description": "Its first and third "
                                "quartiles: the middle half of the runs."},
                            "forward_seconds_quartiles": {
                                "type": "array", "description": "Its first and third "
                                "quartiles."},
                            "ratio": {"type": "number", "description": "Median over the runs "
                                      "of forward mode's time over reverse mode's (each run "
                                      "times both, one after the other)."},
                            "ratio_quartiles": {"type": "array", "description": "Its first "
                                                "and third quartiles."},
                            "difference": {"type": "number", "description": "Largest "
                                           "absolute difference of the two gradients."}}}},
                "vanishing_gradients": {"type": "object", "required": ["depths", "logistic",
                                                                       "tanh", "relu"]},
                "vanishing_in_training": {"type": "object", "required": ["logistic", "relu"],
                                          "description": "Per activation and seed: loss, "
                                                         "gradient norms per epoch, how far "
                                                         "each layer moved."},
                "dropout": {"type": "object", "required": ["with", "without", "rate", "effect"],
                            "description": "Per seed, with and without dropout: accuracies "
                                           "and loss curves; the paired effect with its "
                                           "standard error."},
            },
        },
        "benchmark": {"type": "object",
                      "description": "Present when the output folder holds bench.json from "
                                     "python -m comparisons.bench: its results, as written.",
                      "required": ["gemm_peak_flops", "configurations", "table"]},
    },
}


def validate(results: dict) -> None:
    """Raise ``jsonschema.ValidationError`` unless ``results`` follows ``SCHEMA``."""
    import jsonschema

    jsonschema.validate(results, SCHEMA)


def describe(node: dict = SCHEMA, path: str = "", lines: list[str] | None = None) -> list[str]:
    """The schema as a Markdown list of field paths, types and descriptions."""
    lines = [] if lines is None else lines
    for name, child in node.get("properties", {}).items():
        here = f"{path}.{name}" if path else name
        required = name in node.get("required", [])
        kind = child.get("type", "const" if "const" in child else "")
        text = child.get("description", "")
        flags = f"{kind}, required" if required else f"{kind}"
        lines.append(f"- `{here}` ({flags})" + (f": {text}" if text else ""))
        describe(child, here, lines)
        if isinstance(child.get("additionalProperties"), dict):
            describe(child["additionalProperties"], here + ".<name>", lines)
        if isinstance(child.get("items"), dict):
            describe(child["items"], here + "[]", lines)
    return lines


if __name__ == "__main__":
    print("# results.json, field by field\n")
    print("Written by `python -m comparisons` into its `--out` folder; the JSON Schema is "
          "`comparisons/report/schema.py` (regenerate this page with "
          "`python -m comparisons.report.schema > docs/results.md`).\n")
    print("\n".join(describe()))
