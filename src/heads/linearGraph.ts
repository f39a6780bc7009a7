/**
 * The dense products of the linear output models as ONNX Runtime GEMMs (MLAS), in float64: the
 * logistic / softmax objective with its gradient in one call, ridge's Gram products, and logits.
 * In scalar JavaScript these products cost classes × rows × features per L-BFGS step (a
 * 43-class task did not finish one fold in 13 minutes); MLAS runs them about 25× faster.
 */
import { GraphBuilder, DT } from "../onnx/graphBuilder.js";
import { logisticLoss } from "../onnx/lossOps.js";
import { OrtSession, float64, f64 } from "../backends/ort.js";

const D = DT.DOUBLE;

/**
 * Mean loss over the rows and its gradient, without the penalty (added by the caller):
 * inputs Z [n,d], W [d,c], b [c], Y [n,c] (0/1 for binary, one-hot for multiclass);
 * outputs loss [], gW [d,c] = Zᵀ(p − Y)/n, gb [c].
 */
function objectiveGraph(kind: "binary" | "multiclass"): Uint8Array {
  const g = new GraphBuilder(17);
  const Z = g.input({ name: "Z", type: D, dims: ["n", "d"] });
  const W = g.input({ name: "W", type: D, dims: ["d", "c"] });
  const b = g.input({ name: "b", type: D, dims: ["c"] });
  const Y = g.input({ name: "Y", type: D, dims: ["n", "c"] });
  const s = g.op("Add", [g.op("MatMul", [Z, W]), b]);
  const n = g.op("Cast", [g.op("Gather", [g.op("Shape", [Z]), g.intScalar(0)], { axis: 0 })], { to: D });
  let rowLoss: string, p: string;
  if (kind === "binary") {
    rowLoss = logisticLoss(g, s, Y, D);
    p = g.op("Sigmoid", [s]);
  } else {
    rowLoss = g.op("Neg", [g.op("Mul", [Y, g.op("LogSoftmax", [s], { axis: 1 })])]);
    p = g.op("Softmax", [s], { axis: 1 });
  }
  g.op("Div", [g.op("ReduceSum", [rowLoss], { keepdims: 0 }), n], {}, "loss");
  const R = g.op("Div", [g.op("Sub", [p, Y]), n]);
  g.op("Gemm", [Z, R], { transA: 1 }, "gW");
  g.op("ReduceSum", [R, g.intList([0])], { keepdims: 0 }, "gb");
  g.output({ name: "loss", type: D, dims: [] });
  g.output({ name: "gW", type: D, dims: ["d", "c"] });
  g.output({ name: "gb", type: D, dims: ["c"] });
  return g.toBytes(`linear_${kind}_objective`);
}

/** G = ZᵀZ [d,d] and ZᵀY [d,c]. */
function gramGraph(): Uint8Array {
  const g = new GraphBuilder(17);
  const Z = g.input({ name: "Z", type: D, dims: ["n", "d"] });
  const Y = g.input({ name: "Y", type: D, dims: ["n", "c"] });
  g.op("Gemm", [Z, Z], { transA: 1 }, "G");
  g.op("Gemm", [Z, Y], { transA: 1 }, "ZtY");
  g.output({ name: "G", type: D, dims: ["d", "d"] });
  g.output({ name: "ZtY", type: D, dims: ["d", "c"] });
  return g.toBytes("linear_gram");
}

/** Z W + b. */
function logitsGraph(): Uint8Array {
  const g = new GraphBuilder(17);
  const Z = g.input({ name: "Z", type: D, dims: ["n", "d"] });
  const W = g.input({ name: "W", type: D, dims: ["d", "c"] });
  const b = g.input({ name: "b", type: D, dims: ["c"] });
  g.op("Add", [g.op("MatMul", [Z, W]), b], {}, "logits");
  g.output({ name: "logits", type: D, dims: ["n", "c"] });
  return g.toBytes("linear_logits");
}

/** One single-threaded session per graph and thread, created on first use (deterministic whatever the worker count). */
const sessions = new Map<string, Promise<OrtSession>>();
function session(key: string, build: () => Uint8Array): Promise<OrtSession> {
  let s = sessions.get(key);
  if (!s) sessions.set(key, (s = OrtSession.load(build(), { threads: 1 })));
  return s;
}

/** Mean logistic (c = 1) or softmax loss of Z·W + b against Y, and its gradient. */
export async function objective(kind: "binary" | "multiclass", Z: Float64Array, n: number, d: number, W: Float64Array, b: Float64Array, Y: Float64Array): Promise<{ loss: number; gW: Float64Array; gb: Float64Array }> {
  const c = b.length;
  const s = await session(kind, () => objectiveGraph(kind));
  const out = await s.run({ Z: float64(Z, [n, d]), W: float64(W, [d, c]), b: float64(b, [c]), Y: float64(Y, [n, c]) });
  return { loss: f64(out.loss)[0], gW: f64(out.gW), gb: f64(out.gb) };
}

/** ZᵀZ and ZᵀY. */
export async function gram(Z: Float64Array, n: number, d: number, Y: Float64Array, c: number): Promise<{ G: Float64Array; ZtY: Float64Array }> {
  const s = await session("gram", gramGraph);
  const out = await s.run({ Z: float64(Z, [n, d]), Y: float64(Y, [n, c]) });
  return { G: f64(out.G), ZtY: f64(out.ZtY) };
}

/** Z·W + b for n rows. */
export async function logits(Z: Float64Array, n: number, d: number, W: Float64Array, b: Float64Array): Promise<Float64Array> {
  const c = b.length;
  if (n === 0) return new Float64Array(0);
  const s = await session("logits", logitsGraph);
  return f64((await s.run({ Z: float64(Z, [n, d]), W: float64(W, [d, c]), b: float64(b, [c]) })).logits);
}
