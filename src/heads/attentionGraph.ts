/**
 * ONNX graphs for the attention head, so that its big matrix products (every token through
 * Linear(H,H), forward and backward) run in ONNX Runtime's GEMM kernels rather than in JS.
 * The backward pass is written out by hand; `test/heads/attention.test.ts` checks it against
 * finite differences of an independent float64 implementation.
 *
 * Inputs: tokens f16 [B,T,H] (padding rows zero), mask f32 [B,T], mu/sd f32 [H] (per-feature token
 * statistics of the training rows: tokens are standardised in the graph, which standardises the
 * pooled vector too, since the weights sum to one), then the parameters
 * W1 [H,H] (x·W1), b1 [H], g [H], beta [H], w2 [H,1], Wo [H,C], bo [C].
 * Training graph adds y f32 [B,C] (one-hot / 0-1 / standardised targets) and rw f32 [B,1]
 * (row weights, 1/B), and outputs the gradients of Σ rw·loss.
 */
import { GraphBuilder, DT } from "../onnx/graphBuilder.js";
import type { Task } from "../config.js";

export const PARAM_NAMES = ["W1", "b1", "g", "beta", "w2", "Wo", "bo"] as const;
export const LN_EPS = 1e-5;
const NEG = -1e30;

export function buildAttentionGraph(H: number, C: number, task: Task, training: boolean): Uint8Array {
  const g = new GraphBuilder(17);
  const X16 = g.input({ name: "tokens", type: DT.FLOAT16, dims: ["B", "T", H] });
  const mask = g.input({ name: "mask", type: DT.FLOAT, dims: ["B", "T"] });
  const shapes: Record<(typeof PARAM_NAMES)[number], (number | string)[]> = { W1: [H, H], b1: [H], g: [H], beta: [H], w2: [H, 1], Wo: [H, C], bo: [C] };
  const P = Object.fromEntries(PARAM_NAMES.map((n) => [n, g.input({ name: n, type: DT.FLOAT, dims: shapes[n] })])) as Record<(typeof PARAM_NAMES)[number], string>;
  const mu0 = g.input({ name: "mu", type: DT.FLOAT, dims: [H] });
  const sd0 = g.input({ name: "sd", type: DT.FLOAT, dims: [H] });
  // padding stays exactly zero after standardising, so padded rows never leak into sums
  const X = g.op("Mul", [g.op("Div", [g.op("Sub", [g.op("Cast", [X16], { to: DT.FLOAT }), mu0]), sd0]), g.op("Unsqueeze", [mask, g.intList([2])])]);
  const last = g.intList([-1]);
  const ax01 = g.intList([0, 1]);
  const ax0 = g.intList([0]);

  // forward
  const z1 = g.op("Add", [g.op("MatMul", [X, P.W1]), P.b1]);
  const mu = g.op("ReduceMean", [z1], { axes: [-1], keepdims: 1 });
  const xc = g.op("Sub", [z1, mu]);
  const variance = g.op("ReduceMean", [g.op("Mul", [xc, xc])], { axes: [-1], keepdims: 1 });
  const rstd = g.op("Reciprocal", [g.op("Sqrt", [g.op("Add", [variance, g.scalar(LN_EPS)])])]);
  const xhat = g.op("Mul", [xc, rstd]);
  const a = g.op("Add", [g.op("Mul", [xhat, P.g]), P.beta]);
  const cdf = g.op("Mul", [g.op("Add", [g.op("Erf", [g.op("Mul", [a, g.scalar(Math.SQRT1_2)])]), g.scalar(1)]), g.scalar(0.5)]);
  const ge = g.op("Mul", [a, cdf]);
  const s = g.op("Squeeze", [g.op("MatMul", [ge, P.w2]), g.intList([2])]);
  const valid = g.op("Cast", [mask], { to: DT.BOOL });
  const p = g.op("Softmax", [g.op("Where", [valid, s, g.scalar(NEG)])], { axis: 1 });
  // weights over padding are zeroed; a row with no valid token pools to exactly zero
  const pm = g.op("Mul", [p, mask], {}, "weights");
  const pooled = g.op("Squeeze", [g.op("MatMul", [g.op("Unsqueeze", [pm, g.intList([1])]), X]), g.intList([1])]);
  g.op("Add", [g.op("MatMul", [pooled, P.Wo]), P.bo], {}, "logits");
  g.output({ name: "logits", type: DT.FLOAT, dims: ["B", C] });
  if (!training) {
    g.output({ name: "weights", type: DT.FLOAT, dims: ["B", "T"] });
    return g.toBytes("attention_head_infer");
  }

  // backward of Σ_b rw_b · loss_b; for each task's canonical link, ∂loss/∂logits = link(logits) − y
  const y = g.input({ name: "y", type: DT.FLOAT, dims: ["B", C] });
  const rw = g.input({ name: "rw", type: DT.FLOAT, dims: ["B", 1] });
  const out = task === "regression" ? "logits" : C === 1 ? g.op("Sigmoid", ["logits"]) : g.op("Softmax", ["logits"], { axis: 1 });
  const dl = g.op("Mul", [g.op("Sub", [out, y]), rw]);
  g.op("MatMul", [g.op("Transpose", [pooled], { perm: [1, 0] }), dl], {}, "dWo");
  g.op("ReduceSum", [dl, ax0], { keepdims: 0 }, "dbo");
  const dpooled = g.op("MatMul", [dl, g.op("Transpose", [P.Wo], { perm: [1, 0] })]);
  const dp = g.op("Mul", [g.op("Squeeze", [g.op("MatMul", [X, g.op("Unsqueeze", [dpooled, g.intList([2])])]), g.intList([2])]), mask]);
  const ds = g.op("Mul", [pm, g.op("Sub", [dp, g.op("ReduceSum", [g.op("Mul", [pm, dp]), g.intList([1])], { keepdims: 1 })])]);
  const ds3 = g.op("Unsqueeze", [ds, g.intList([2])]);
  g.op("Unsqueeze", [g.op("ReduceSum", [g.op("Mul", [ge, ds3]), ax01], { keepdims: 0 }), last], {}, "dw2");
  const dge = g.op("Mul", [ds3, g.op("Reshape", [P.w2, g.intList([H])])]);
  // GELU'(a) = Φ(a) + a·φ(a)
  const pdf = g.op("Mul", [g.op("Exp", [g.op("Mul", [g.op("Mul", [a, a]), g.scalar(-0.5)])]), g.scalar(1 / Math.sqrt(2 * Math.PI))]);
  const da = g.op("Mul", [dge, g.op("Add", [cdf, g.op("Mul", [a, pdf])])]);
  g.op("ReduceSum", [g.op("Mul", [da, xhat]), ax01], { keepdims: 0 }, "dg");
  g.op("ReduceSum", [da, ax01], { keepdims: 0 }, "dbeta");
  const dxhat = g.op("Mul", [da, P.g]);
  const m1 = g.op("ReduceMean", [dxhat], { axes: [-1], keepdims: 1 });
  const m2 = g.op("ReduceMean", [g.op("Mul", [dxhat, xhat])], { axes: [-1], keepdims: 1 });
  const dz1 = g.op("Mul", [rstd, g.op("Sub", [g.op("Sub", [dxhat, m1]), g.op("Mul", [xhat, m2])])]);
  g.op("ReduceSum", [dz1, ax01], { keepdims: 0 }, "db1");
  const flat = g.intList([-1, H]);
  g.op("MatMul", [g.op("Transpose", [g.op("Reshape", [X, flat])], { perm: [1, 0] }), g.op("Reshape", [dz1, flat])], {}, "dW1");
  const grads: [string, (number | string)[]][] = [["dW1", [H, H]], ["db1", [H]], ["dg", [H]], ["dbeta", [H]], ["dw2", [H, 1]], ["dWo", [H, C]], ["dbo", [C]]];
  for (const [n, d] of grads) g.output({ name: n, type: DT.FLOAT, dims: d });
  return g.toBytes("attention_head_train");
}
