/**
 * The weighted-layer pooling head (the Kaggle "WeightedLayerPooling"): learned weights w over the
 * hidden states layerStart..L (init 1, divided by their sum) mix the per-layer [CLS] vectors
 * (or per-layer mean vectors), then a linear output; everything trained jointly with Adam.
 */
import type { FeatureSources, FoldResult, FoldTask } from "./types.js";
import type { HeadOptions } from "./options.js";
import { link } from "./linear.js";
import { trainAdam, type GradModel } from "./adam.js";
import { carveValidation } from "./earlyStopping.js";
import { modelTargets } from "./modelTargets.js";
import { uniformInit } from "../util/random.js";
import { layerStats, standardisedLayers } from "./layerRows.js";

/** Selected layers of every row, centred per feature and scaled by one global factor (which keeps Σw-normalised pooling meaningful). */
interface LayerInputs {
  X: Float32Array; // [N × nL × H]
  nL: number;
  H: number;
}

class WeightedLayerModel implements GradModel {
  params: Float32Array[];
  readonly decay = new Map([[1, 1e-2]]);

  constructor(private readonly inp: LayerInputs, private readonly c: number, private readonly task: FoldTask["task"], private readonly target: (r: number, k: number) => number, seed: number) {
    const { nL, H } = inp;
    this.params = [new Float32Array(nL).fill(1), uniformInit(H * c, 1 / Math.sqrt(H), seed), new Float32Array(c)];
  }

  /** The pooling: Σ w_l x_l / Σ w_l over the row's selected layers. */
  private pooled(inp: LayerInputs, row: number, out: Float64Array): void {
    const { X, nL, H } = inp;
    const w = this.params[0];
    let S = 0;
    for (let l = 0; l < nL; l++) S += w[l];
    out.fill(0);
    for (let l = 0; l < nL; l++) {
      const a = w[l] / S, o = (row * nL + l) * H;
      for (let j = 0; j < H; j++) out[j] += a * X[o + j];
    }
  }

  async logits(rows: Int32Array): Promise<Float64Array> {
    return this.logitsOf(this.inp, rows);
  }

  logitsOf(inp: LayerInputs, rows: Int32Array): Float64Array {
    const { H } = inp;
    const c = this.c;
    const [, Wo, bo] = this.params;
    const p = new Float64Array(H), out = new Float64Array(rows.length * c);
    rows.forEach((r, i) => {
      this.pooled(inp, r, p);
      for (let k = 0; k < c; k++) {
        let s = bo[k];
        for (let j = 0; j < H; j++) s += p[j] * Wo[j * c + k];
        out[i * c + k] = s;
      }
    });
    return out;
  }

  async gradients(rows: Int32Array): Promise<Float32Array[]> {
    const { X, nL, H } = this.inp;
    const c = this.c, B = rows.length;
    const [w, Wo] = this.params;
    let S = 0;
    for (let l = 0; l < nL; l++) S += w[l];
    const gw = new Float32Array(nL), gWo = new Float32Array(H * c), gbo = new Float32Array(c);
    const logits = link(this.task, this.logitsOf(this.inp, rows), c);
    const p = new Float64Array(H), dp = new Float64Array(H), dl = new Float64Array(c);
    rows.forEach((r, i) => {
      this.pooled(this.inp, r, p);
      for (let k = 0; k < c; k++) dl[k] = (logits[i * c + k] - (this.task === "regression" ? this.target(r, k) : c === 1 ? this.target(r, 0) : this.target(r, 0) === k ? 1 : 0)) / B;
      dp.fill(0);
      for (let j = 0; j < H; j++)
        for (let k = 0; k < c; k++) {
          gWo[j * c + k] += p[j] * dl[k];
          dp[j] += dl[k] * Wo[j * c + k];
        }
      for (let k = 0; k < c; k++) gbo[k] += dl[k];
      // ∂pooled/∂w_l = (x_l − pooled) / S
      for (let l = 0; l < nL; l++) {
        let s = 0;
        const o = (r * nL + l) * H;
        for (let j = 0; j < H; j++) s += dp[j] * (X[o + j] - p[j]);
        gw[l] += s / S;
      }
    });
    return [gw, gWo, gbo];
  }
}

/** Trains the head on one fold. */
export async function train(sources: FeatureSources, t: FoldTask<HeadOptions>): Promise<FoldResult> {
  const t0 = performance.now();
  const opt = t.options.weightedLayer;
  const arr = opt.source === "mean" ? "layers_mean" : "layers_cls";
  const { hiddenSize: H, numLayers } = sources.train.manifest;
  const start = Math.min(opt.layerStart, numLayers);
  // centring and scale from the training rows only; the selected layers streamed, never the whole array
  const { mu, scale } = layerStats(sources.train, t.trainIdx, arr, start);
  const inputs = (split: FeatureSources["train"]): LayerInputs => ({ X: standardisedLayers(split, arr, start, mu, scale), nL: numLayers + 1 - start, H });
  const inTrain = inputs(sources.train), inTest = inputs(sources.test);
  const { target, toOutput } = modelTargets(t);
  const model = new WeightedLayerModel(inTrain, t.c, t.task, target, t.seed);
  const { fit, stop } = carveValidation(t.trainIdx, t.strata, t.seed);
  const r = await trainAdam(model, fit, stop, { task: t.task, c: t.c, target, lr: 3e-3, batchSize: 32, maxEpochs: 80, patience: 6, seed: t.seed });
  const out = (inp: LayerInputs, rows: Int32Array): Float64Array => toOutput(model.logitsOf(inp, rows));
  const w = model.params[0];
  const S = w.reduce((a, b) => a + b, 0);
  return {
    head: t.head,
    fold: t.fold,
    oof: out(inTrain, t.validIdx),
    test: out(inTest, Int32Array.from({ length: sources.test.rows }, (_, i) => i)),
    seconds: (performance.now() - t0) / 1000,
    info: { layerStart: start, layerWeights: Array.from(w, (x) => x / S), epochs: r.epochs, bestEpoch: r.bestEpoch },
  };
}
