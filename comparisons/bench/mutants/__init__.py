"""``python -m comparisons.bench.mutants``: a yardstick for ``check_backprop``, made of
machine-made mutants of hand-written backward passes.

- ``architectures``: random MLPs (a seed picks depth, widths, activations, output and
  loss, L2, the batch's reduction, how arrays are held, and the code style).
- ``forms``: the arrays, drawn once and held as the code holds them; gradients read back
  and named as the checker names them.
- ``objective``: the independent reference (the loss in torch, autograd), under any
  convention.
- ``writer``: source lines tagged with the nodes they compute.
- ``idioms``: the steps every style shares (layer algebra, activations, outputs, losses).
- ``styles/``: the code styles (loop, unrolled, cs231n, dlai, torch_layout, nielsen).
- ``sources``: generate a correct pass, compile it, verify it against the reference.
- ``operators``: the mutation operators, a table of small AST transformations.
- ``mutate``: every mutant of a source, each recorded with its line, variable and location.
- ``cases``: which mutants count (run, drop the broken and the equivalent, name what changed).
- ``yardstick``: run the checker on passes and mutants and count what it gets wrong.
- ``cli``: the command's arguments, table and failures.
"""
