"""Train scratch, the torch twin and scikit-learn side by side and report what agrees."""
