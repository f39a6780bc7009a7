/**
 * Builds an encoder's ONNX graph from its checkpoint weights, with the pooling reductions of
 * every head computed inside the graph: only [B,H] / [B,L+1,H] summaries and one fp16 copy of
 * the last layer leave ORT, instead of a float32 [B,T,H] tensor per layer. The family module
 * (src/families/) emits the embeddings and the layers; this module declares the inputs and
 * appends the outputs.
 */
import { GraphBuilder, DT } from "../onnx/graphBuilder.js";
import type { Tensor } from "../io/safetensors.js";
import type { BuildOptions, EncoderConfig, EncoderFamily, GraphContext, GraphInputs } from "../families/types.js";
import { encoderTensors } from "../families/weights.js";

export type { BuildOptions } from "../families/types.js";

/** Names of the pooled outputs, in the order of the README's "Outputs". */
export const POOLED_OUTPUTS = ["mean", "max", "min", "layers_cls", "layers_mean", "tokens"] as const;
export type PooledOutput = (typeof POOLED_OUTPUTS)[number];

const FLT_LOWEST = -3.4028234663852886e38;

/** Builds the model bytes from a checkpoint's tensors as stored (`file` names them in errors). */
export function buildEncoderGraph(family: EncoderFamily, weights: ReadonlyMap<string, Tensor>, cfg: EncoderConfig, opts: BuildOptions, file = "weights"): Uint8Array {
  const H = cfg.hiddenSize;
  const g = new GraphBuilder(17);
  const { get } = encoderTensors(family, weights, file);
  const c: GraphContext = { g, cfg, opts, tensor: get, init: (name) => g.floats(name, get(name).shape, get(name).data) };
  const inputs: GraphInputs = {
    ids: g.input({ name: "input_ids", type: DT.INT64, dims: ["batch", "seq"] }),
    mask: g.input({ name: "attention_mask", type: DT.INT64, dims: ["batch", "seq"] }),
  };
  if (cfg.typeVocabSize > 1) inputs.types = g.input({ name: "token_type_ids", type: DT.INT64, dims: ["batch", "seq"] });
  const x0 = family.embeddings(c, inputs);
  const maskF = g.op("Cast", [inputs.mask], { to: DT.FLOAT });
  const hidden = family.encoder(c, x0, { ...inputs, maskFloat: maskF });
  const x = hidden[hidden.length - 1];

  if (opts.outputs === "hiddenStates") {
    hidden.forEach((h, i) => {
      g.op("Identity", [h], {}, `hidden_states.${i}`);
      g.output({ name: `hidden_states.${i}`, type: DT.FLOAT, dims: ["batch", "seq", H] });
    });
    return g.toBytes(`${family.name}_hidden_states`);
  }
  if (opts.outputs === "lastHidden") {
    g.op("Identity", [x], {}, "last_hidden_state");
    g.output({ name: "last_hidden_state", type: DT.FLOAT, dims: ["batch", "seq", H] });
    return g.toBytes(`${family.name}_last_hidden`);
  }
  addPooledOutputs(g, hidden, maskF, H);
  return g.toBytes(`${family.name}_pooled`);
}

/**
 * Appends the pooled outputs to a graph whose hidden states (index 0 =
 * embedding output, last = final layer, each [B,T,H] float32) and float mask [B,T] are named.
 * Masked reductions: a row with no valid token yields zeros, never NaN or ±FLT_MAX.
 */
export function addPooledOutputs(g: GraphBuilder, hidden: readonly string[], maskF: string, H: number): void {
  const x = hidden[hidden.length - 1];
  const m3 = g.op("Unsqueeze", [maskF, g.intList([2])]);
  const mBool = g.op("Cast", [m3], { to: DT.BOOL });
  const count = g.op("ReduceSum", [maskF, g.intList([1])], { keepdims: 1 });
  const hasTokens = g.op("Greater", [count, g.scalar(0)]);
  const denom = g.op("Max", [count, g.scalar(1)]);
  // masked mean as one batched product: (mask / count) [B,1,T] × h [B,T,H] — no [B,T,H] temporary
  const meanWeights = g.op("Unsqueeze", [g.op("Div", [maskF, denom]), g.intList([1])]);
  const maskedMean = (h: string): string => g.op("Squeeze", [g.op("MatMul", [meanWeights, h]), g.intList([1])]);
  const guarded = (v: string): string => g.op("Where", [hasTokens, v, g.scalar(0)]);

  g.op("Identity", [maskedMean(x)], {}, "mean");
  g.op("Identity", [guarded(g.op("ReduceMax", [g.op("Where", [mBool, x, g.scalar(FLT_LOWEST)])], { axes: [1], keepdims: 0 }))], {}, "max");
  g.op("Identity", [guarded(g.op("ReduceMin", [g.op("Where", [mBool, x, g.scalar(-FLT_LOWEST)])], { axes: [1], keepdims: 0 }))], {}, "min");
  const axis1 = g.intList([1]);
  const cls = hidden.map((h) => g.op("Unsqueeze", [g.op("Gather", [h, g.intScalar(0)], { axis: 1 }), axis1]));
  g.op("Concat", cls, { axis: 1 }, "layers_cls");
  const means = hidden.map((h) => g.op("Unsqueeze", [maskedMean(h), axis1]));
  g.op("Concat", means, { axis: 1 }, "layers_mean");
  g.op("Cast", [x], { to: DT.FLOAT16 }, "tokens");
  // every lower layer's states too, for the fine-tuned heads' cache; the feature pass asks only for the one it stores
  hidden.slice(0, -1).forEach((h, i) => g.op("Cast", [h], { to: DT.FLOAT16 }, hiddenOutput(i)));

  const L1 = hidden.length;
  g.output({ name: "mean", type: DT.FLOAT, dims: ["batch", H] });
  g.output({ name: "max", type: DT.FLOAT, dims: ["batch", H] });
  g.output({ name: "min", type: DT.FLOAT, dims: ["batch", H] });
  g.output({ name: "layers_cls", type: DT.FLOAT, dims: ["batch", L1, H] });
  g.output({ name: "layers_mean", type: DT.FLOAT, dims: ["batch", L1, H] });
  g.output({ name: "tokens", type: DT.FLOAT16, dims: ["batch", "seq", H] });
  hidden.slice(0, -1).forEach((_, i) => g.output({ name: hiddenOutput(i), type: DT.FLOAT16, dims: ["batch", "seq", H] }));
}

/** Name of the float16 output (and of the feature array) holding hidden state `layer` (0 = embedding output). */
export function hiddenOutput(layer: number): string {
  return `hidden_${layer}`;
}
