/**
 * The fine-tuned heads' graphs run on ONNX Runtime's CUDA provider: every node of every training
 * and inference graph is an operator that provider registers a kernel for, at the graph's opset and
 * for the element types the node reads and writes. The README's "GPU" section relies on this;
 * onnxruntime-node's npm package ships the CPU build only and these machines have no GPU, so no test
 * can create a CUDA session — this check against ONNX Runtime's generated kernel list is the proof.
 */
import { describe, it, expect } from "vitest";
import onnxProto from "onnx-proto";
import { buildFinetuneGraph } from "../../src/finetune/graph.js";
import type { FinetuneSpec } from "../../src/finetune/spec.js";
import { bertLikeStack } from "../../src/families/bertLike/trainLayers.js";
import { debertaStack } from "../../src/families/deberta/trainLayers.js";
import { GraphBuilder, DT } from "../../src/onnx/graphBuilder.js";
import type { HeadName } from "../../src/config.js";

/**
 * "Operators implemented by CUDAExecutionProvider" in microsoft/onnxruntime docs/OperatorKernels.md
 * (generated from the registered kernels; read at commit 001d12d2623fd411ce0f83d05abb5e82304a3389).
 * Per op: the row whose opset range holds our opset (17 for ai.onnx, 1 for com.microsoft), as
 * [first, last] (Infinity for "N+"), and the element types that row lists over all its type
 * constraints, limited to the ones our graphs could use (f32 f16 f64 i32 i64 bool).
 */
const CUDA_KERNELS: Record<string, [number, number, string]> = {
  "ai.onnx:Abs": [13, Infinity, "f64 f32 f16 i32 i64"],
  "ai.onnx:Add": [14, Infinity, "f64 f32 f16 i32 i64"],
  "ai.onnx:And": [7, Infinity, "bool"],
  "ai.onnx:Cast": [13, 18, "bool f64 f32 f16 i32 i64"],
  "ai.onnx:Clip": [13, Infinity, "f64 f32 f16 i64"],
  "ai.onnx:Concat": [13, Infinity, "bool f64 f32 f16 i32 i64"],
  "ai.onnx:ConstantOfShape": [9, Infinity, "bool f64 f32 f16 i32 i64"], // input: tensor(int64)
  "ai.onnx:Div": [14, Infinity, "f64 f32 f16 i32 i64"],
  "ai.onnx:Equal": [13, Infinity, "bool f64 f32 f16 i32 i64"],
  "ai.onnx:Erf": [13, Infinity, "f64 f32 f16"],
  "ai.onnx:Exp": [13, Infinity, "f64 f32 f16"],
  "ai.onnx:Expand": [13, Infinity, "bool f64 f32 f16 i32 i64"],
  "ai.onnx:Gather": [13, Infinity, "bool f64 f32 f16 i32 i64"],
  "ai.onnx:Gemm": [13, Infinity, "f64 f32 f16"],
  "ai.onnx:Greater": [13, Infinity, "f64 f32 f16 i32 i64 bool"],
  "ai.onnx:Identity": [14, 18, "bool f64 f32 f16 i32 i64"],
  "ai.onnx:Log": [13, Infinity, "f64 f32 f16"],
  "ai.onnx:LogSoftmax": [13, Infinity, "f64 f32 f16"],
  "ai.onnx:MatMul": [13, Infinity, "f64 f32 f16"],
  "ai.onnx:Max": [13, Infinity, "f64 f32 f16 i32 i64"],
  "ai.onnx:Mul": [14, Infinity, "f64 f32 f16 i32 i64"],
  "ai.onnx:Neg": [13, Infinity, "f64 f32 f16 i32 i64"],
  "ai.onnx:Range": [11, Infinity, "f64 f32 i32 i64"],
  "ai.onnx:Reciprocal": [13, Infinity, "f64 f32 f16"],
  "ai.onnx:ReduceMax": [1, 17, "f64 f32 f16 i32 i64"],
  "ai.onnx:ReduceMean": [1, 17, "f64 f32 f16 i32"],
  "ai.onnx:ReduceMin": [1, 17, "f64 f32 f16 i32 i64"],
  "ai.onnx:ReduceSum": [13, Infinity, "f64 f32 f16 i32 i64"], // axes: tensor(int64)
  "ai.onnx:Relu": [14, Infinity, "f64 f32 f16"],
  "ai.onnx:Reshape": [14, 18, "bool f64 f32 f16 i32 i64"],
  "ai.onnx:ScatterElements": [16, 17, "bool f64 f32 f16 i32 i64"], // indices: tensor(int32), tensor(int64)
  "ai.onnx:Shape": [15, 18, "bool f64 f32 f16 i32 i64"],
  "ai.onnx:Sigmoid": [13, Infinity, "f64 f32 f16"],
  "ai.onnx:Slice": [13, Infinity, "bool f64 f32 f16 i32 i64"],
  "ai.onnx:Softmax": [13, Infinity, "f64 f32 f16"],
  "ai.onnx:Split": [13, 17, "bool f64 f32 f16 i32 i64"],
  "ai.onnx:Sqrt": [13, Infinity, "f64 f32 f16"],
  "ai.onnx:Squeeze": [13, 20, "bool f64 f32 f16 i32 i64"],
  "ai.onnx:Sub": [14, Infinity, "f64 f32 f16 i32 i64"],
  "ai.onnx:Transpose": [13, 20, "bool f64 f32 f16 i32 i64"],
  "ai.onnx:Unsqueeze": [13, 20, "bool f64 f32 f16 i32 i64"],
  "ai.onnx:Where": [16, Infinity, "bool f64 f32 f16 i32 i64"], // condition bool; X, Y without bool
  "com.microsoft:FusedMatMul": [1, Infinity, "f64 f32 f16"],
};

const TYPE_NAME: Record<number, string> = { [DT.FLOAT]: "f32", [DT.FLOAT16]: "f16", [DT.DOUBLE]: "f64", [DT.INT32]: "i32", [DT.INT64]: "i64", [DT.BOOL]: "bool", [DT.INT8]: "i8" };

/**
 * Every way a node of `bytes` falls outside CUDA_KERNELS: an op it lacks, an opset outside the
 * row, or a tensor type the row does not list. Element types are propagated from the graph inputs
 * and initializers: an output has its first input's type, except Cast (`to`), Shape (int64),
 * comparisons and And (bool), Where (its X input) and ConstantOfShape (its value's type). A Where on bool X would slip through (bool
 * is in the row for the condition); our graphs select only floats.
 */
function cudaProblems(bytes: Uint8Array): string[] {
  const model = onnxProto.onnx.ModelProto.decode(bytes);
  const opset = new Map(model.opsetImport.map((o) => [o.domain || "ai.onnx", Number(o.version)]));
  const type = new Map<string, string>();
  for (const v of model.graph!.input!) type.set(v.name!, TYPE_NAME[v.type!.tensorType!.elemType!]);
  for (const t of model.graph!.initializer!) type.set(t.name!, TYPE_NAME[t.dataType!]);
  const problems: string[] = [];
  for (const n of model.graph!.node!) {
    const domain = n.domain || "ai.onnx";
    const op = `${domain}:${n.opType}`;
    const ins = n.input!.filter((x) => x !== "").map((x) => type.get(x) ?? `? (${x} not typed yet)`);
    const to = n.attribute!.find((a) => a.name === "to");
    const value = n.attribute!.find((a) => a.name === "value");
    const out = n.opType === "Cast" ? TYPE_NAME[Number(to!.i)]
      : n.opType === "ConstantOfShape" ? TYPE_NAME[value?.t?.dataType ?? DT.FLOAT]
      : n.opType === "Shape" ? "i64"
      : ["Equal", "Greater", "And"].includes(n.opType!) ? "bool"
      : n.opType === "Where" ? ins[1] : ins[0];
    for (const o of n.output!) type.set(o, out);
    const row = CUDA_KERNELS[op];
    if (!row) { problems.push(`${op}: no CUDA kernel`); continue; }
    const [first, last, types] = row;
    const version = opset.get(domain) ?? NaN;
    if (!(version >= first && version <= last)) problems.push(`${op}: opset ${version} outside [${first}, ${last}]`);
    for (const t of new Set([...ins, out])) if (!types.split(" ").includes(t)) problems.push(`${op}: ${t} not in CUDA's ${types}`);
  }
  return [...new Set(problems)];
}

/** Every variant the pipeline can build: each head and task, 1 or 2 trained layers, training and inference. */
function specs(): FinetuneSpec[] {
  const out: FinetuneSpec[] = [];
  for (const pooling of ["mean", "max", "min", "attention", "weightedLayer"] as HeadName[])
    for (const task of ["binary", "multiclass", "regression"] as const)
      for (const layers of [1, 2])
        for (const training of [true, false])
          for (const [frozenLayers, layerSource] of pooling === "weightedLayer" ? ([[0, "cls"], [2, "cls"], [2, "mean"], [0, "mean"]] as const) : ([[0, "cls"]] as const))
            out.push({ H: 8, numHeads: 2, inter: 16, layers, stack: bertLikeStack({ H: 8, numHeads: 2, inter: 16, eps: 1e-12 }), eps: 1e-12, C: task === "multiclass" ? 3 : 1, task, pooling, frozenLayers, layerSource, training });
  // DeBERTa-v3's layers (shared keys, LayerNorm'd relative embeddings; and separate position projections)
  for (const raw of [{ share_att_key: true, norm_rel_ebd: "layer_norm" }, { share_att_key: false }])
    for (const layers of [1, 2])
      for (const training of [true, false]) {
        const cfg = { modelType: "deberta-v2", hiddenSize: 8, numLayers: 4, numHeads: 2, intermediateSize: 16, layerNormEps: 1e-7, maxPositions: 512, vocabSize: 10, typeVocabSize: 0, padTokenId: 0, raw: { relative_attention: true, pos_att_type: ["p2c", "c2p"], position_buckets: 4, max_relative_positions: 8, ...raw } };
        out.push({ H: 8, numHeads: 2, inter: 16, layers, stack: debertaStack(cfg), eps: 1e-7, C: 3, task: "multiclass", pooling: "attention", frozenLayers: 0, layerSource: "cls", training });
      }
  return out;
}

describe("fine-tuned heads on CUDA", () => {
  it("every graph uses only ops, opsets and types the CUDA provider registers", () => {
    const used = new Set<string>();
    for (const spec of specs()) {
      const bytes = buildFinetuneGraph(spec);
      for (const n of onnxProto.onnx.ModelProto.decode(bytes).graph!.node!) used.add(`${n.domain || "ai.onnx"}:${n.opType}`);
      expect(cudaProblems(bytes), JSON.stringify(spec)).toEqual([]);
    }
    // the check saw the graphs' real op set (a table entry no graph uses is harmless, but would hint at a stale table)
    expect([...used].sort()).toEqual(Object.keys(CUDA_KERNELS).sort());
  });

  it("the check fails on an op CUDA lacks, a wrong opset or an unsupported type", () => {
    const graph = (opset: number, build: (g: GraphBuilder, x: string) => string): Uint8Array => {
      const g = new GraphBuilder(opset);
      const x = g.input({ name: "x", type: DT.FLOAT, dims: [2] });
      g.op("Identity", [build(g, x)], {}, "y");
      g.output({ name: "y", type: DT.FLOAT, dims: [2] });
      return g.toBytes("probe");
    };
    expect(cudaProblems(graph(17, (g, x) => g.op("Softmax", [x])))).toEqual([]);
    expect(cudaProblems(graph(17, (g, x) => g.op("Mish", [x])))).toEqual(["ai.onnx:Mish: no CUDA kernel"]);
    expect(cudaProblems(graph(18, (g, x) => g.op("ReduceMax", [x], { keepdims: 0 })))).toContain("ai.onnx:ReduceMax: opset 18 outside [1, 17]");
    expect(cudaProblems(graph(17, (g, x) => g.op("Cast", [g.op("Log", [g.op("Cast", [x], { to: DT.INT64 })])], { to: DT.FLOAT })))).toEqual(["ai.onnx:Log: i64 not in CUDA's f64 f32 f16"]);
  });
});
