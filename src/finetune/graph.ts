/**
 * The graphs of the fine-tuned heads ("train above the cache"): the cached hidden state of
 * layer L − k (float16) → k trainable layers of the backbone's family → a pooling head → standardise → linear
 * output, and, for training, the loss and the gradient of every parameter, written out by hand
 * (the family module's `TrainableStack` for the layers, poolingGraph.ts for the heads).
 * `test/finetune/gradients.test.ts` checks every gradient against finite differences of an
 * independent float64 implementation.
 *
 * Inputs: hidden f16 [B,T,H] (padding zero), mask f32 [B,T], frozen f32 [B,F,H] (weightedLayer with
 * F > 0: the cached layers' [CLS] or mean vectors below the trained ones), pmu/psd f32 [H] (the pooled
 * vector is standardised with them; attention standardises the tokens instead), the parameters
 * (`paramShapes`), and for training y f32 [B,C] (0/1, one-hot or standardised targets) and rw f32
 * [B,1] (row weights). Outputs: logits [B,C]; training adds loss (Σ rw·loss) and `grad.<param>`.
 */
import { GraphBuilder, DT } from "../onnx/graphBuilder.js";
import { LayerOps } from "../onnx/trainOps.js";
import { logisticLoss } from "../onnx/lossOps.js";
import type { Task } from "../models/names.js";
import type { FinetuneSpec } from "./spec.js";
import { poolingBackward, poolingForward, poolingParams } from "./poolingGraph.js";


/** Every parameter, in input order: layers bottom to top, the pooling head's, the output layer. */
export function paramShapes(spec: FinetuneSpec): [string, number[]][] {
  return [...spec.stack.params(spec.layers), ...poolingParams(spec), ["out.w", [spec.H, spec.C]], ["out.b", [spec.C]]];
}

export function buildFinetuneGraph(spec: FinetuneSpec): Uint8Array {
  const { H, C } = spec;
  const g = new GraphBuilder(17);
  const hidden = g.input({ name: "hidden", type: DT.FLOAT16, dims: ["B", "T", H] });
  const mask = g.input({ name: "mask", type: DT.FLOAT, dims: ["B", "T"] });
  const frozen = spec.pooling === "weightedLayer" && spec.frozenLayers > 0 ? g.input({ name: "frozen", type: DT.FLOAT, dims: ["B", spec.frozenLayers, H] }) : "";
  g.input({ name: "pmu", type: DT.FLOAT, dims: [H] });
  g.input({ name: "psd", type: DT.FLOAT, dims: [H] });
  for (const [name, dims] of paramShapes(spec)) g.input({ name, type: DT.FLOAT, dims });

  const o = new LayerOps(g, spec, mask);
  const { outputs, backward } = spec.stack.forward(o, g.op("Cast", [hidden], { to: DT.FLOAT }), spec.layers);
  const pool = poolingForward(o, spec, outputs, mask, frozen);
  const logits = g.op("Add", [g.op("MatMul", [pool.z, "out.w"]), "out.b"], {}, "logits");
  g.output({ name: "logits", type: DT.FLOAT, dims: ["B", C] });
  if (!spec.training) return g.toBytes("finetune_infer");

  const y = g.input({ name: "y", type: DT.FLOAT, dims: ["B", C] });
  const rw = g.input({ name: "rw", type: DT.FLOAT, dims: ["B", 1] });
  // each task's canonical link: ∂loss/∂logits = link(logits) − y
  const dl = g.op("Mul", [g.op("Sub", [link(g, spec.task, C, logits), y]), rw]);
  g.op("ReduceSum", [g.op("Mul", [rowLoss(g, spec.task, C, logits, y), rw])], { keepdims: 0 }, "loss");
  g.output({ name: "loss", type: DT.FLOAT, dims: [] });
  g.op("Gemm", [pool.z, dl], { transA: 1 }, "grad.out.w");
  g.op("ReduceSum", [dl, g.intList([0])], { keepdims: 0 }, "grad.out.b");
  const dz = g.op("FusedMatMul", [dl, "out.w"], { transB: 1 }, undefined, "com.microsoft");
  // the pooling hands each trained layer's output its gradient; the layers pass theirs down
  backward(poolingBackward(o, spec, pool, outputs, mask, dz));
  for (const [name, dims] of paramShapes(spec)) g.output({ name: `grad.${name}`, type: DT.FLOAT, dims });
  return g.toBytes("finetune_train");
}

function link(g: GraphBuilder, task: Task, C: number, logits: string): string {
  if (task === "regression") return logits;
  return C === 1 ? g.op("Sigmoid", [logits]) : g.op("Softmax", [logits], { axis: 1 });
}

/** Per-row loss [B,1]: binary cross-entropy with logits, softmax cross-entropy, or ½ squared error. */
function rowLoss(g: GraphBuilder, task: Task, C: number, s: string, y: string): string {
  const sumK = (t: string): string => g.op("ReduceSum", [t, g.intList([1])], { keepdims: 1 });
  if (task === "regression") {
    const e = g.op("Sub", [s, y]);
    return g.op("Mul", [sumK(g.op("Mul", [e, e])), g.scalar(0.5)]);
  }
  if (C === 1) return logisticLoss(g, s, y);
  return g.op("Neg", [sumK(g.op("Mul", [y, g.op("LogSoftmax", [s], { axis: 1 })]))]);
}
