/**
 * An independent BERT forward pass in plain TypeScript, float64 throughout, straight from the
 * safetensors weights — no ONNX, no graph builder. Used to prove the built graph right.
 */
import type { Tensor } from "../../src/io/safetensors.js";
import type { EncoderConfig } from "../../src/families/types.js";

type M = Float64Array; // row-major [rows × cols]

function get(w: Map<string, Tensor>, name: string): Float64Array {
  const t = w.get(name) ?? w.get(`bert.${name}`);
  if (!t) throw new Error(`missing ${name}`);
  return Float64Array.from(t.data);
}

/** y = x W^T + b, x [T×inD], W [outD×inD] as stored by PyTorch. */
function dense(x: M, T: number, inD: number, W: Float64Array, b: Float64Array, outD: number): M {
  const y = new Float64Array(T * outD);
  for (let t = 0; t < T; t++)
    for (let o = 0; o < outD; o++) {
      let s = b[o];
      const wo = o * inD, xt = t * inD;
      for (let i = 0; i < inD; i++) s += x[xt + i] * W[wo + i];
      y[t * outD + o] = s;
    }
  return y;
}

function layerNorm(x: M, T: number, D: number, g: Float64Array, b: Float64Array, eps: number): M {
  const y = new Float64Array(T * D);
  for (let t = 0; t < T; t++) {
    let mu = 0;
    for (let i = 0; i < D; i++) mu += x[t * D + i];
    mu /= D;
    let v = 0;
    for (let i = 0; i < D; i++) v += (x[t * D + i] - mu) ** 2;
    v /= D;
    const r = 1 / Math.sqrt(v + eps);
    for (let i = 0; i < D; i++) y[t * D + i] = (x[t * D + i] - mu) * r * g[i] + b[i];
  }
  return y;
}

/** erf by Abramowitz–Stegun 7.1.26 refined with a series — accurate to ~1e-15 via the series for |x|<3. */
function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    // Maclaurin series, converges fast for |x| < 3
    let term = ax, sum = ax;
    for (let n = 1; n < 80; n++) {
      term *= (-ax * ax) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // continued fraction for the tail
  let f = 0;
  for (let n = 60; n >= 1; n--) f = (n / 2) / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return Math.sign(x) * (1 - erfc);
}

/** All hidden states ([L+1] arrays of [T×H]) of one unpadded sequence. */
export function referenceForward(w: Map<string, Tensor>, cfg: EncoderConfig, ids: readonly number[], types: readonly number[]): M[] {
  const T = ids.length, H = cfg.hiddenSize, nh = cfg.numHeads, dh = H / nh;
  const we = get(w, "embeddings.word_embeddings.weight"), pe = get(w, "embeddings.position_embeddings.weight"), te = get(w, "embeddings.token_type_embeddings.weight");
  let x: M = new Float64Array(T * H);
  for (let t = 0; t < T; t++) for (let i = 0; i < H; i++) x[t * H + i] = we[ids[t] * H + i] + pe[t * H + i] + te[types[t] * H + i];
  x = layerNorm(x, T, H, get(w, "embeddings.LayerNorm.weight"), get(w, "embeddings.LayerNorm.bias"), cfg.layerNormEps);
  const states: M[] = [x];
  for (let l = 0; l < cfg.numLayers; l++) {
    const p = `encoder.layer.${l}`;
    const d = (name: string, inp: M, inD: number, outD: number): M => dense(inp, T, inD, get(w, `${p}.${name}.weight`), get(w, `${p}.${name}.bias`), outD);
    const q = d("attention.self.query", x, H, H), k = d("attention.self.key", x, H, H), v = d("attention.self.value", x, H, H);
    const ctx = new Float64Array(T * H);
    for (let h = 0; h < nh; h++)
      for (let i = 0; i < T; i++) {
        const s = new Float64Array(T);
        let mx = -Infinity;
        for (let j = 0; j < T; j++) {
          let dot = 0;
          for (let e = 0; e < dh; e++) dot += q[i * H + h * dh + e] * k[j * H + h * dh + e];
          s[j] = dot / Math.sqrt(dh);
          mx = Math.max(mx, s[j]);
        }
        let z = 0;
        for (let j = 0; j < T; j++) z += s[j] = Math.exp(s[j] - mx);
        for (let e = 0; e < dh; e++) {
          let acc = 0;
          for (let j = 0; j < T; j++) acc += (s[j] / z) * v[j * H + h * dh + e];
          ctx[i * H + h * dh + e] = acc;
        }
      }
    const ao = d("attention.output.dense", ctx, H, H);
    for (let i = 0; i < T * H; i++) ao[i] += x[i];
    const a = layerNorm(ao, T, H, get(w, `${p}.attention.output.LayerNorm.weight`), get(w, `${p}.attention.output.LayerNorm.bias`), cfg.layerNormEps);
    const inter = d("intermediate.dense", a, H, cfg.intermediateSize);
    for (let i = 0; i < inter.length; i++) inter[i] = 0.5 * inter[i] * (1 + erf(inter[i] / Math.SQRT2));
    const o = d("output.dense", inter, cfg.intermediateSize, H);
    for (let i = 0; i < T * H; i++) o[i] += a[i];
    x = layerNorm(o, T, H, get(w, `${p}.output.LayerNorm.weight`), get(w, `${p}.output.LayerNorm.bias`), cfg.layerNormEps);
    states.push(x);
  }
  return states;
}
