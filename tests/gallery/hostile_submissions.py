"""Submissions whose *code* tries to raise its own score, for the grader's isolation tests
(``tests/test_grade_isolation.py``), and submissions whose right answers must keep their
marks under hard conditions.

Each entry of ``ATTACKS`` is {"cells": [source, ...], "earned": exercises the submission
really answers, "why": what it tries}. A ``.py`` file is its cells joined; a notebook has
one cell each. ``{ROOT}`` in a source is the project's folder and ``{TARGET}`` a file the
test watches (an attacker may know both). ``{RIGHT:name}`` is the model answer to an
exercise (``model_answers.py``), for the honest parts.

``ROBUST`` is the same for right answers under hard conditions: each must get full marks on
``earned``. ``NOTEBOOK_ONLY`` entries of either are written in IPython's syntax (magics,
shell lines): graded as notebooks only.
"""

ALL = ["sigmoid_backward", "relu_backward", "dense_backward", "softmax_cross_entropy",
       "dropout_forward", "dropout_backward", "adam_step", "backprop", "backprop_steps"]
MARK = "@@grading-results@@"
FULL = "[" + ", ".join(f'{{"name": "{n}", "score": 10.0, "max_score": 10.0, "output": '
                       f'"{n}: OK.", "execution_time": 0.0}}' for n in ALL) + "]"

ATTACKS = {
    "forged_results_then_exit": {
        "why": "prints the old grader's results line with full marks and os._exit(0)",
        "earned": [],
        "cells": [f"import os, sys\nprint({MARK!r} + {FULL!r})\nsys.stdout.flush()\n"
                  "os._exit(0)\n"],
    },
    "forged_results_inside_a_function": {
        "why": "prints a forged results line and ends the process at every call",
        "earned": ["relu_backward"],
        "cells": ["import os\nimport numpy as np\n",
                  f"def sigmoid_backward(grad_out, out):\n    print({MARK!r} + {FULL!r})\n"
                  "    print('total  90/90')\n    os._exit(0)\n",
                  "{RIGHT:relu_backward}"],
    },
    "replaces_the_grader": {
        "why": "patches grade_namespace, _judge and relative_difference where it runs",
        "earned": [],
        "cells": ["import __main__, sys\nimport numpy as np\n"
                  "__main__.grade_namespace = lambda *a, **k: []\n"
                  "for name in ('reference.grading.runner', 'reference.grading.exercises',\n"
                  "             'reference.checking.compare'):\n"
                  "    try:\n"
                  "        module = __import__(name, fromlist=['x'])\n"
                  "        module._judge = lambda *a, **k: None\n"
                  "        module.relative_difference = lambda a, b: 0.0\n"
                  "        module.grade_namespace = lambda *a, **k: []\n"
                  "    except BaseException as error:\n"
                  "        print('refused:', error)\n",
                  "def sigmoid_backward(grad_out, out):\n    return np.zeros_like(out)\n",
                  "def relu_backward(grad_out, x):\n    return grad_out\n"],
    },
    "patches_numpy": {
        "why": "makes every NumPy comparison say equal, then answers wrong",
        "earned": [],
        "cells": ["import numpy as np\n"
                  "np.allclose = np.array_equal = lambda *a, **k: True\n"
                  "np.isclose = lambda a, b, *r, **k: np.ones(np.shape(a), bool)\n"
                  "np.abs = np.absolute = lambda a, *r, **k: np.zeros(np.shape(a))\n"
                  "np.max = np.amax = lambda *a, **k: 0.0\n",
                  "def sigmoid_backward(grad_out, out):\n    return out\n",
                  "def dense_backward(grad_out, X, W):\n"
                  "    return np.zeros((len(X), W.shape[0])), np.zeros(W.shape), "
                  "np.zeros(W.shape[1])\n"],
    },
    "reads_the_callers_frames": {
        "why": "returns whatever array it finds in its callers' frames",
        "earned": [],
        "cells": ["import sys\nimport numpy as np\n\n\n"
                  "def _steal(like):\n"
                  "    frame, found = sys._getframe(2), None\n"
                  "    while frame is not None:\n"
                  "        for key, value in frame.f_locals.items():\n"
                  "            if isinstance(value, tuple) and value and "
                  "isinstance(value[0], np.ndarray):\n"
                  "                value = value[0]\n"
                  "            if isinstance(value, np.ndarray) and value.shape == like.shape "
                  "and value is not like:\n"
                  "                found = value\n"
                  "        frame = frame.f_back\n"
                  "    return like * 0 if found is None else found.copy()\n",
                  "def sigmoid_backward(grad_out, out):\n    return _steal(out)\n",
                  "def relu_backward(grad_out, x):\n    return _steal(x)\n",
                  "def dropout_forward(x, keep, p):\n    return _steal(x)\n"],
    },
    "imports_the_solutions": {
        "why": "asks the grading package for its solutions and references",
        "earned": [],
        "cells": ["import numpy as np\n"
                  "from reference.grading import solution\n",
                  "from reference.grading.exercises import _sigmoid_backward, _relu_backward\n",
                  "def sigmoid_backward(grad_out, out):\n"
                  "    return _sigmoid_backward(grad_out, out)\n",
                  "def relu_backward(grad_out, x):\n"
                  "    from reference.grading.exercises import _relu_backward as r\n"
                  "    return r(grad_out, x)\n",
                  "def dense_backward(grad_out, X, W):\n"
                  "    return solution('dense_backward')(grad_out, X, W)\n"],
    },
    "borrows_the_projects_layers": {
        "why": "answers with scratch's own layers (the project is an answer key)",
        "earned": [],
        "cells": ["import numpy as np\n"
                  "from scratch.layers.activations import Logistic\n",
                  "def sigmoid_backward(grad_out, out):\n"
                  "    layer = Logistic()\n    layer.out = out\n"
                  "    return layer.backward(grad_out.copy())\n",
                  "def dense_backward(grad_out, X, W):\n"
                  "    from scratch.layers.dense import Dense\n"
                  "    gW, gb = np.empty_like(W), np.empty(W.shape[1])\n"
                  "    layer = Dense(W, np.zeros(W.shape[1]), gW, gb)\n"
                  "    layer.forward(X)\n"
                  "    return layer.backward(grad_out), gW, gb\n"],
    },
    "uses_torch_autograd": {
        "why": "answers every backward exercise with torch.autograd",
        "earned": [],
        "cells": ["import numpy as np\nimport torch\n",
                  "def sigmoid_backward(grad_out, out):\n"
                  "    z = torch.tensor(np.log(out / (1 - out)), requires_grad=True)\n"
                  "    torch.sigmoid(z).backward(torch.tensor(grad_out))\n"
                  "    return z.grad.numpy()\n",
                  "def relu_backward(grad_out, x):\n"
                  "    import torch as t\n"
                  "    z = t.tensor(x, requires_grad=True)\n"
                  "    t.relu(z).backward(t.tensor(grad_out))\n"
                  "    return z.grad.numpy()\n"],
    },
    "finds_the_project_by_other_roads": {
        "why": "the editable install's finder, sys.path, a spec from the file, importlib's "
               "own loader, and reading the source to exec it",
        "earned": [],
        "cells": ["import importlib, importlib.util, sys, glob\nimport numpy as np\n"
                  "found = {}\n"
                  "for attempt in range(5):\n"
                  "    try:\n"
                  "        if attempt == 0:\n"
                  "            for finder in glob.glob(sys.prefix + '/lib/*/site-packages/"
                  "__editable__*finder.py'):\n"
                  "                spec = importlib.util.spec_from_file_location('f', finder)\n"
                  "                module = importlib.util.module_from_spec(spec)\n"
                  "                spec.loader.exec_module(module)\n"
                  "                module.install()\n"
                  "            import scratch.layers.activations as a\n"
                  "        elif attempt == 1:\n"
                  "            sys.path.insert(0, '{ROOT}')\n"
                  "            a = importlib.import_module('scratch.layers.activations')\n"
                  "        elif attempt == 2:\n"
                  "            spec = importlib.util.spec_from_file_location(\n"
                  "                'act', '{ROOT}/scratch/layers/activations.py')\n"
                  "            a = importlib.util.module_from_spec(spec)\n"
                  "            spec.loader.exec_module(a)\n"
                  "        elif attempt == 3:\n"
                  "            a = importlib._bootstrap._find_and_load('torch', __import__)\n"
                  "        else:\n"
                  "            a = {}\n"
                  "            exec(open('{ROOT}/scratch/layers/activations.py').read(), a)\n"
                  "        found[attempt] = a\n"
                  "    except BaseException as error:\n"
                  "        print(attempt, type(error).__name__, error)\n",
                  "def sigmoid_backward(grad_out, out):\n"
                  "    for a in found.values():\n"
                  "        layer = (a['Logistic'] if isinstance(a, dict) else a.Logistic)()\n"
                  "        layer.out = out\n"
                  "        return layer.backward(grad_out)\n"],
    },
    "reaches_past_python": {
        "why": "ctypes, cffi, code objects from bytes or with other constants (directly, "
               "through functools.partial, after a trace function), marshal, gc",
        "earned": [],
        "cells": ["import sys, types, marshal, gc\nimport numpy as np\n"
                  "for attempt in ('import ctypes', 'import cffi', 'import _ctypes',\n"
                  "                'gc.get_objects()', 'marshal.loads(marshal.dumps(compile(\"1\", "
                  "\"x\", \"eval\")))',\n"
                  "                '(lambda: 0).__code__.replace(co_code=b\"\")',\n"
                  "                'f = lambda: (1, 2)\\n'\n"
                  "                'f.__code__ = f.__code__.replace(co_consts=())',\n"
                  "                'import functools\\nf = lambda: (1, 2)\\n'\n"
                  "                'functools.partial(f.__code__.replace, co_consts=())'\n"
                  "                '(co_name=\"g\")',\n"
                  "                'sys.settrace(None)\\ndef g(f):\\n'\n"
                  "                '    return f.__code__.replace(co_name=\"h\")\\n'\n"
                  "                'g(lambda: 0)',\n"
                  "                'import numba', 'import sqlite3'):\n"
                  "    try:\n"
                  "        exec(attempt)\n"
                  "        print('ALLOWED', attempt)\n"
                  "    except BaseException as error:\n"
                  "        print('refused', attempt, type(error).__name__)\n",
                  "def sigmoid_backward(grad_out, out):\n"
                  "    import ctypes\n"
                  "    return np.zeros_like(out)\n"],
    },
    "starts_processes": {
        "why": "runs torch in another process: subprocess, os.system, os.fork, posix_spawn",
        "earned": [],
        "cells": ["import os, subprocess, sys\nimport numpy as np\n"
                  "code = 'import torch; print(1)'\n"
                  "for attempt in (lambda: subprocess.run([sys.executable, '-c', code]),\n"
                  "                lambda: os.system('true'),\n"
                  "                lambda: os.fork(),\n"
                  "                lambda: os.posix_spawn('/bin/true', ['true'], {}),\n"
                  "                lambda: os.execv('/bin/true', ['true'])):\n"
                  "    try:\n"
                  "        attempt()\n"
                  "    except BaseException as error:\n"
                  "        print(type(error).__name__, error)\n",
                  "def relu_backward(grad_out, x):\n"
                  "    out = subprocess.run([sys.executable, '-c', code], capture_output=True)\n"
                  "    return grad_out\n"],
    },
    "reads_the_graders_memory_and_files": {
        "why": "opens the grader's /proc files, other files, folders as descriptors",
        "earned": [],
        "cells": ["import os\nimport numpy as np\n"
                  "for path in (f'/proc/{os.getppid()}/mem', f'/proc/{os.getppid()}/environ',\n"
                  "             '/proc/1/cmdline', '{ROOT}/reference/grading/exercises.py',\n"
                  "             '{ROOT}', '/', '/proc', '{TARGET}'):\n"
                  "    try:\n"
                  "        fd = os.open(path, os.O_RDONLY)\n"
                  "        print('OPENED', path, os.read(fd, 10))\n"
                  "    except BaseException as error:\n"
                  "        print('refused', path, type(error).__name__)\n",
                  "def sigmoid_backward(grad_out, out):\n"
                  "    return np.zeros_like(out)\n"],
    },
    "writes_outside_its_folder": {
        "why": "forges the results file and plants files beside the submission",
        "earned": [],
        "cells": ["import json\nimport numpy as np\n"
                  "forged = {'score': 90.0, 'tests': []}\n"
                  "for path in ('{TARGET}', '{TARGET}.planted'):\n"
                  "    try:\n"
                  "        with open(path, 'w') as f:\n"
                  "            json.dump(forged, f)\n"
                  "        print('WROTE', path)\n"
                  "    except BaseException as error:\n"
                  "        print('refused', path, type(error).__name__)\n"],
    },
    "kills_the_grader": {
        "why": "signals the grader (os.kill, and pidfd, which no audit hook sees)",
        "earned": ["dropout_forward"],
        "cells": ["import os, signal\nimport numpy as np\n"
                  "for attempt in (lambda: os.kill(os.getppid(), signal.SIGKILL),\n"
                  "                lambda: os.killpg(os.getpgid(os.getppid()), signal.SIGKILL),\n"
                  "                lambda: signal.pidfd_send_signal(os.pidfd_open(os.getppid()),"
                  " signal.SIGKILL)):\n"
                  "    try:\n"
                  "        attempt()\n"
                  "    except BaseException as error:\n"
                  "        print(type(error).__name__, error)\n",
                  "{RIGHT:dropout_forward}"],
    },
    "forges_the_channel": {
        "why": "writes forged answer frames on every descriptor, at load and inside a call",
        "earned": [],
        "cells": ["import os, json, struct\nimport numpy as np\n\n\n"
                  "def forge(kind, **fields):\n"
                  "    head = json.dumps({'kind': kind, **fields}).encode()\n"
                  "    body = struct.pack('<I', len(head)) + head\n"
                  "    data = struct.pack('<Q', len(body)) + body\n"
                  "    for fd in range(3, 12):\n"
                  "        try:\n"
                  "            os.write(fd, data)\n"
                  "        except OSError:\n"
                  "            pass\n\n\n"
                  "forge('loaded', defined=" + repr(ALL) + ")\n",
                  "def sigmoid_backward(grad_out, out):\n"
                  "    for k in range(1, 5):\n"
                  "        forge('answer', id=k, value=[[0.0], []], wrote=[], states={})\n"
                  "        forge('verdict', score=10)\n"
                  "    return out\n"],
    },
    "takes_the_network": {
        "why": "asks a server for the answers",
        "earned": [],
        "cells": ["import socket\nimport numpy as np\n",
                  "def sigmoid_backward(grad_out, out):\n"
                  "    s = socket.create_connection(('127.0.0.1', 9), timeout=1)\n"
                  "    return np.zeros_like(out)\n"],
    },
    "shell_escapes_in_a_notebook": {
        "why": "runs torch through IPython's shell escapes and magics",
        "earned": ["relu_backward"],
        "cells": ["import numpy as np\n!python -c 'import torch'\n%system echo hi\n",
                  "%%bash\necho forged\n",
                  "answers = !python -c 'print(1)'\n"
                  "def sigmoid_backward(grad_out, out):\n"
                  "    return np.zeros_like(out) if not answers else answers\n",
                  "{RIGHT:relu_backward}"],
    },
    "forges_malformed_frames": {
        "why": "writes frames the grader's reader accepts but whose fields are of the wrong "
               "types (an unhashable name in 'loaded', a list as an array index)",
        "earned": [],
        "cells": ["import os, json, stat, struct\nimport numpy as np\n\n\n"
                  "def forge(header):\n"
                  "    head = json.dumps(header).encode()\n"
                  "    body = struct.pack('<I', len(head)) + head\n"
                  "    data = struct.pack('<Q', len(body)) + body\n"
                  "    for fd in range(3, 64):\n"
                  "        try:\n"
                  "            if stat.S_ISSOCK(os.fstat(fd).st_mode):\n"
                  "                os.write(fd, data)\n"
                  "        except OSError:\n"
                  "            pass\n\n\n"
                  "forge({'kind': 'loaded', 'defined': [['sigmoid_backward']]})\n\n\n"
                  "{RIGHT:sigmoid_backward}",  # after the forged frame: its cell stops there
                  "def relu_backward(grad_out, x):\n"
                  "    forge({'kind': 'answer', 'id': 1, 'wrote': [[0]], 'states': [],\n"
                  "           'value': [[0.0], []]})\n"
                  "    return grad_out * (x > 0)\n"],
    },
    "forges_a_long_note": {
        "why": "forges a cell that raised with a 5 MB message (the child cuts its own "
               "messages; a forged one is not), then 'loaded' with nothing defined",
        "earned": [],
        "cells": ["import os, json, stat, struct\nimport numpy as np\n\n\n"
                  "def forge(header):\n"
                  "    head = json.dumps(header).encode()\n"
                  "    body = struct.pack('<I', len(head)) + head\n"
                  "    data = struct.pack('<Q', len(body)) + body\n"
                  "    for fd in range(3, 64):\n"
                  "        try:\n"
                  "            if stat.S_ISSOCK(os.fstat(fd).st_mode):\n"
                  "                os.write(fd, data)\n"
                  "        except OSError:\n"
                  "            pass\n\n\n"
                  "forge({'kind': 'cell', 'cell': 0})\n"
                  "forge({'kind': 'done', 'cell': 0, 'statement': 0, 'raised': 'ValueError' * "
                  "1000,\n       'message': 'x' * (5 * 2**20)})\n"
                  "forge({'kind': 'loaded', 'defined': []})\n",
                  "{RIGHT:sigmoid_backward}"],
    },
    "forges_the_display": {
        "why": "puts terminal escape sequences (carriage return, erase line, cursor moves, "
               "hidden text) in its messages to rewrite the grader's lines as full marks",
        "earned": [],
        "cells": ["import numpy as np\n"
                  "OK = 'OK (equal to the reference to float64 round-off).'\n\n\n"
                  "def fake(name):\n"
                  "    return f'\\r\\x1b[2K{name:<21}    10/10  {OK}\\x1b[8m\\u202e'\n",
                  *[f"def {n}(*args, **kwargs):\n    raise ValueError(fake({n!r}))\n"
                    for n in ALL],
                  "raise RuntimeError('\\x1b[0m\\x1b[1A\\r\\x1b[25C90\\x1b[1B\\r'\n"
                  "                   '\\x1b[2K\\x1b[8m')\n"],
    },
    "reaches_out_through_c_sockets": {
        "why": "asks a program outside (listening on a Unix socket by its path) for the "
               "answers through pyzmq, whose sockets are made in C and meet no audit hook",
        "earned": [],
        "cells": ["import io, struct\nimport numpy as np\n"
                  "try:\n"
                  "    import zmq\n"
                  "    CONTEXT = zmq.Context()\n"
                  "except BaseException as error:\n"
                  "    print('refused zmq', type(error).__name__)\n\n\n"
                  "def ask(**arrays):\n"
                  "    s = CONTEXT.socket(zmq.STREAM)\n"
                  "    s.setsockopt(zmq.LINGER, 0)\n"
                  "    s.setsockopt(zmq.RCVTIMEO, 1500)\n"
                  "    s.connect('ipc://{TARGET}.sock')\n"
                  "    peer = s.getsockopt(zmq.ROUTING_ID)\n"
                  "    buffer = io.BytesIO()\n"
                  "    np.savez(buffer, **arrays)\n"
                  "    data = buffer.getvalue()\n"
                  "    s.send_multipart([peer, struct.pack('<Q', len(data)) + data])\n"
                  "    data = b''\n"
                  "    while len(data) < 8 or len(data) < 8 + struct.unpack('<Q', data[:8])[0]:\n"
                  "        data += s.recv_multipart()[1]\n"
                  "    return np.load(io.BytesIO(data[8:]))\n",
                  "def sigmoid_backward(grad_out, out):\n"
                  "    try:\n"
                  "        return ask(grad_out=grad_out, out=out)\n"
                  "    except BaseException as error:\n"
                  "        print('no answer from outside:', type(error).__name__)\n"
                  "        return np.zeros_like(out)\n"],
    },
    "hands_over_float32_gradients": {
        "why": "backprop's gradients rounded to float32 (and W0's off by 0.05 %), so that a "
               "checker following their dtype would hold them to float32's 1e-3",
        "earned": [],
        "cells": ["import numpy as np\n",
                  "{RIGHT:backprop_steps}\n_exact = backprop_steps\n\n\n"
                  "def backprop_steps(params, X, Y):\n"
                  "    grads, steps = _exact(params, X, Y)\n"
                  "    grads[0] = grads[0] * 1.0005\n"
                  "    return ([g.astype(np.float32).astype(np.float64) for g in grads],\n"
                  "            {k: v.astype(np.float32) for k, v in steps.items()})\n\n\n"
                  "def backprop(params, X, Y):\n"
                  "    return backprop_steps(params, X, Y)[0]\n"],
    },
}

NOTEBOOK_ONLY = {"shell_escapes_in_a_notebook", "notebook_magics_with_options"}  # IPython's

ROBUST = {
    "prints_without_newlines": {
        "earned": ALL,
        "cells": ["import sys\nimport numpy as np\nprint('.', end='')\n"
                  "sys.stdout.write('no newline')\n",
                  "{RIGHT:sigmoid_backward}\n_s = sigmoid_backward\n"
                  "def sigmoid_backward(grad_out, out):\n"
                  "    print('.', end='')\n    return _s(grad_out, out)\n",
                  *[f"{{RIGHT:{n}}}" for n in ALL[1:]]],
    },
    "exits_and_dies_in_other_exercises": {
        "earned": [n for n in ALL if n not in ("relu_backward", "dense_backward",
                                               "dropout_backward", "softmax_cross_entropy")],
        "cells": ["import os, signal, sys, time\nimport numpy as np\n",
                  *[f"{{RIGHT:{n}}}" for n in ALL if n not in
                    ("relu_backward", "dense_backward", "dropout_backward",
                     "softmax_cross_entropy")],
                  "def relu_backward(grad_out, x):\n    sys.exit(0)\n",
                  "def dense_backward(grad_out, X, W):\n    os._exit(3)\n",
                  "def dropout_backward(grad_out, keep, p):\n"
                  "    while True:\n"
                  "        try:\n"
                  "            time.sleep(1000)\n"
                  "        except BaseException:\n"
                  "            pass\n",
                  "def softmax_cross_entropy(logits, Y):\n"
                  "    os.kill(os.getpid(), signal.SIGSEGV)\n"],
    },
    "ends_its_process_in_eight_exercises": {
        "earned": ["backprop_steps"],  # each stop costs its own exercise only
        "cells": ["import os\nimport numpy as np\n",
                  *[f"def {n}(*args, **kwargs):\n    os._exit(1)  # unfinished\n"
                    for n in ALL[:-1]],
                  "{RIGHT:backprop_steps}",
                  "os._exit(2)  # a last experiment that ends the process as it loads\n"],
    },
    "works_in_its_own_folder": {
        "earned": ["sigmoid_backward", "relu_backward"],
        "cells": ["import os, pathlib, shutil, tempfile\nimport numpy as np\n"
                  "np.save('w.npy', np.zeros(3))\n"
                  "os.makedirs('figures/run1', exist_ok=True)\n"
                  "pathlib.Path('out').mkdir()\n"
                  "tempfile.mkdtemp()\n"
                  "with tempfile.TemporaryDirectory() as scratch:\n"
                  "    np.save(os.path.join(scratch, 'x.npy'), np.ones(2))\n"
                  "shutil.copy('w.npy', 'w2.npy')\n"
                  "os.replace('w2.npy', 'w3.npy')\n"
                  "os.rename('w3.npy', 'figures/w.npy')\n"
                  "os.chmod('w.npy', 0o600)\n"
                  "os.utime('w.npy')\n"
                  "shutil.rmtree('figures')\n"
                  "{RIGHT:sigmoid_backward}",
                  "{RIGHT:relu_backward}"],
    },
    "answers_in_other_array_types": {
        "earned": ["sigmoid_backward", "relu_backward", "dropout_forward",
                   "dropout_backward"],
        "cells": ["import array\nimport numpy as np\n",
                  "def sigmoid_backward(grad_out, out):\n"
                  "    g, h = np.asarray(grad_out, np.longdouble), np.asarray(out, np.longdouble)\n"
                  "    return g * h * (1 - h)  # extended precision: more exact, not less\n",
                  "def relu_backward(grad_out, x):\n"
                  "    return np.asarray(grad_out * (x > 0), np.longdouble)\n",
                  "def dropout_forward(x, keep, p):\n"
                  "    return [array.array('d', row) for row in x * keep / (1 - p)]\n",
                  "def dropout_backward(grad_out, keep, p):\n"
                  "    return memoryview(np.ascontiguousarray(grad_out * keep / (1 - p)))\n"],
    },
    "imports_common_libraries": {
        "earned": ["sigmoid_backward", "relu_backward"],
        "cells": ["import asyncio\nimport joblib\nimport hypothesis\n"
                  "from tqdm.auto import tqdm\nimport numpy as np\n"
                  "for _ in tqdm(range(3), disable=True):\n    pass\n"
                  "{RIGHT:sigmoid_backward}",
                  "{RIGHT:relu_backward}\n"
                  "assert joblib.Parallel(n_jobs=1)(joblib.delayed(abs)(-1) for _ in "
                  "range(2)) == [1, 1]\n"],
    },
    "uses_the_graders_names": {
        "earned": ALL,
        "cells": ["import numpy as np\n",
                  *[f"from reference.grading import grade, Grade\n\n\n"
                    f"verdict: Grade = grade({n!r}, lambda *args: None)\n"
                    f"assert isinstance(verdict, Grade) and verdict.ok, verdict\n"
                    f"print(verdict.ok, verdict.points)\n\n\n{{RIGHT:{n}}}" for n in ALL]],
    },
    "notebook_magics_with_options": {
        "earned": ["sigmoid_backward", "relu_backward", "dense_backward",
                   "softmax_cross_entropy"],
        "cells": ["import numpy as np\n",
                  "{RIGHT:sigmoid_backward}\n"
                  "g, h = np.ones((64, 32)), np.full((64, 32), 0.5)\n"
                  "%timeit -n 3 -r 1 sigmoid_backward(g, h)\n"
                  "%time sigmoid_backward(g, h)\n"
                  "{RIGHT:relu_backward}",
                  "%%writefile layers.py\nimport numpy as np\n\n\n{RIGHT:dense_backward}",
                  "from layers import dense_backward\n",
                  "%%timeit -n 2 -r 1 y = 1\nx = y + 1\n",
                  "async def warm_up():\n    await asyncio.sleep(0.01)\n    return 1\n\n\n"
                  "import asyncio\nready = await warm_up()\n\n\n"
                  "{RIGHT:softmax_cross_entropy}"],
    },
}
