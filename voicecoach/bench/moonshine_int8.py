"""`python -m voicecoach.bench.moonshine_int8 SRC DST`: Moonshine's .ort graphs as int8 ONNX.

The base-en model in `moonshine-cpp` (voicecoach.bench.engine_moonshine) stores its weights
8-bit, but as Cast -> Mul -> Add nodes in front of the graph: ONNX Runtime turns every
weight back into float on every run (the decoder: ~61 M values per token, ~70 ms a token on
one core here, and a 600 MB peak with the memory arena).  This rewrites both graphs once:

1. ONNX Runtime saves the .ort graph as ONNX (no optimisation);
2. each weight's dequantization is folded into a float initializer, the If branches get
   the names ONNX requires, and the decoder's output layer (Transpose(embedding) -> MatMul
   in each branch, which ONNX Runtime would fold into a float copy per branch) gets one
   transposed initializer;
3. `onnxruntime.quantization.quantize_dynamic` stores the MatMul and Gather weights as int8
   again (per tensor, as they were), with int8 kernels at run time.

Needs the `onnx` package (not one of the coach's dependencies).  The tokenizer.json found
next to SRC, or in `useful-moonshine-onnx`, is copied along.  Model files are never
committed: DST is any folder outside the repository.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from voicecoach.bench.engine_moonshine import MODEL_NAMES, find_model, model_files


def _fold_dequantization(graph: Any) -> int:
    """int8 initializer -> Cast -> Mul(scale) -> Add(offset) chains -> float initializers."""
    import numpy as np
    from onnx import numpy_helper

    inits = {i.name: i for i in graph.initializer}
    made_by = {out: node for node in graph.node for out in node.output}
    dropped_nodes: set[int] = set()
    dropped_inits: set[str] = set()
    folded = []
    for add in graph.node:
        mul = made_by.get(add.input[0]) if add.op_type == "Add" else None
        if mul is None or mul.op_type != "Mul":
            continue
        cast = made_by.get(mul.input[0])
        if cast is None or cast.op_type != "Cast":
            continue
        names = (cast.input[0], mul.input[1], add.input[1])
        if not all(name in inits for name in names):
            continue
        q, scale, offset = (numpy_helper.to_array(inits[name]).astype(np.float32) for name in names)
        folded.append(numpy_helper.from_array(q * scale + offset, add.output[0]))
        dropped_nodes |= {id(add), id(mul), id(cast)}
        dropped_inits |= set(names)
    kept = [node for node in graph.node if id(node) not in dropped_nodes]
    del graph.node[:]
    graph.node.extend(kept)
    rest = [i for i in graph.initializer if i.name not in dropped_inits]
    del graph.initializer[:]
    graph.initializer.extend(rest + folded)
    return len(folded)


def _untangle_branches(graph: Any) -> None:
    """Name the If branches; replace Transpose(outer weight) in them by one initializer."""
    import numpy as np
    from onnx import numpy_helper

    inits = {i.name: i for i in graph.initializer}
    transposed: dict[str, Any] = {}
    for node in graph.node:
        if node.op_type != "If":
            continue
        for attribute in node.attribute:
            branch = attribute.g
            branch.name = branch.name or attribute.name
            kept = []
            for inner in branch.node:
                if inner.op_type == "Transpose" and inner.input[0] in inits:
                    weight = numpy_helper.to_array(inits[inner.input[0]])
                    transposed[inner.output[0]] = numpy_helper.from_array(
                        np.ascontiguousarray(weight.T), inner.output[0]
                    )
                    continue
                kept.append(inner)
            del branch.node[:]
            branch.node.extend(kept)
    graph.initializer.extend(transposed.values())


def convert(source: Path, target: Path) -> None:
    """The .ort (or ONNX) Moonshine model in `source` -> int8 ONNX in `target`."""
    import onnx
    import onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic

    _, tokenizer, problem = find_model(source)
    if problem or tokenizer is None:
        raise SystemExit(problem)
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name in MODEL_NAMES:
            plain, flat = Path(tmp, f"{name}.plain.onnx"), Path(tmp, f"{name}.float.onnx")
            options = onnxruntime.SessionOptions()
            options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
            options.optimized_model_filepath = str(plain)
            found = model_files(source)
            assert found is not None  # find_model said so
            onnxruntime.InferenceSession(
                str(found[MODEL_NAMES.index(name)]), options, providers=["CPUExecutionProvider"]
            )
            model = onnx.load(str(plain))
            print(f"{name}: {_fold_dequantization(model.graph)} weights folded", file=sys.stderr)
            _untangle_branches(model.graph)
            onnx.save(model, str(flat))
            quantize_dynamic(
                flat,
                target / f"{name}.onnx",
                weight_type=QuantType.QInt8,
                op_types_to_quantize=["MatMul", "Gather"],
                extra_options={"EnableSubgraph": True},
            )
    shutil.copy(tokenizer, target / "tokenizer.json")


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    convert(Path(argv[0]), Path(argv[1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
