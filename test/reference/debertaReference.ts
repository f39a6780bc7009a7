/**
 * An independent DeBERTa-v3 layer stack in plain TypeScript, float64 throughout, written from
 * transformers' modeling_deberta_v2.py (make_log_bucket_position, DisentangledSelfAttention with
 * c2p and p2c, the relative embeddings' LayerNorm) — no ONNX, no code shared with src/. Used to
 * prove the fine-tuned heads' hand-written DeBERTa backward pass by finite differences.
 * Parameters use the stack's layout: l{l}.wqkv [H,3H] (x·W), l{l}.wpq/wpk when keys are not shared,
 * rel.emb [2S,H] (+ rel.g, rel.b when normalised). LayerNorm and GELU are the BERT reference's.
 */
import { gelu, layerNorm } from "./finetuneReference.js";

export interface DebertaRefSpec {
  H: number;
  numHeads: number;
  inter: number;
  layers: number;
  eps: number;
  c2p: boolean;
  p2c: boolean;
  shareAttKey: boolean;
  normRel: boolean;
  /** 0: plain clipped distances */
  positionBuckets: number;
  maxRelativePositions: number;
}

type P = ReadonlyMap<string, ArrayLike<number>>;

/** make_log_bucket_position, in float64 */
export function refBucket(rel: number, bucketSize: number, maxPosition: number): number {
  const mid = Math.floor(bucketSize / 2);
  const absPos = rel < mid && rel > -mid ? mid - 1 : Math.abs(rel);
  const logPos = Math.ceil((Math.log(absPos / mid) / Math.log((maxPosition - 1) / mid)) * (mid - 1)) + mid;
  return absPos <= mid ? rel : logPos * Math.sign(rel);
}

const span = (s: DebertaRefSpec): number => (s.positionBuckets > 0 ? s.positionBuckets : s.maxRelativePositions);
const relPos = (s: DebertaRefSpec, q: number, k: number): number => (s.positionBuckets > 0 ? refBucket(q - k, s.positionBuckets, s.maxRelativePositions) : q - k);
const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

function get(p: P, name: string): ArrayLike<number> {
  const v = p.get(name);
  if (!v) throw new Error(`missing ${name}`);
  return v;
}

/** y[n,o] = Σ_i x[n,i] W[i, off + o] + b[off + o], W with `cols` columns */
function dense(x: ArrayLike<number>, N: number, inD: number, W: ArrayLike<number>, cols: number, b: ArrayLike<number>, off: number, outD: number): Float64Array {
  const y = new Float64Array(N * outD);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < outD; o++) {
      let s = b[off + o];
      for (let i = 0; i < inD; i++) s += x[n * inD + i] * W[i * cols + off + o];
      y[n * outD + o] = s;
    }
  return y;
}

/** One layer over x [B,T,H]; `R` the relative embeddings [2S,H] as used. */
function layer(s: DebertaRefSpec, p: P, l: number, x: Float64Array, mask: ArrayLike<number>, B: number, T: number, R: Float64Array): Float64Array {
  const { H, numHeads: nh, inter: I } = s;
  const dh = H / nh, S = span(s), S2 = 2 * S, N = B * T;
  const n = (k: string): ArrayLike<number> => get(p, `l${l}.${k}`);
  const wqkv = n("wqkv"), bqkv = n("bqkv");
  const q = dense(x, N, H, wqkv, 3 * H, bqkv, 0, H), k = dense(x, N, H, wqkv, 3 * H, bqkv, H, H), v = dense(x, N, H, wqkv, 3 * H, bqkv, 2 * H, H);
  const posK = s.shareAttKey ? dense(R, S2, H, wqkv, 3 * H, bqkv, H, H) : s.c2p ? dense(R, S2, H, n("wpk"), H, n("bpk"), 0, H) : new Float64Array(0);
  const posQ = s.shareAttKey ? dense(R, S2, H, wqkv, 3 * H, bqkv, 0, H) : s.p2c ? dense(R, S2, H, n("wpq"), H, n("bpq"), 0, H) : new Float64Array(0);
  const scale = Math.sqrt(dh * (1 + Number(s.c2p) + Number(s.p2c)));
  const dot = (a: ArrayLike<number>, ai: number, c: ArrayLike<number>, ci: number, h: number): number => {
    let r = 0;
    for (let e = 0; e < dh; e++) r += a[ai * H + h * dh + e] * c[ci * H + h * dh + e];
    return r;
  };
  const ctx = new Float64Array(N * H);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < nh; h++)
      for (let i = 0; i < T; i++) {
        const sc = new Float64Array(T);
        for (let j = 0; j < T; j++) {
          let a = dot(q, b * T + i, k, b * T + j, h);
          // c2p: query i against the key-side position embedding at clamp(r(i,j) + S)
          if (s.c2p) a += dot(q, b * T + i, posK, clamp(relPos(s, i, j) + S, 0, S2 - 1), h);
          // p2c: key j against the query-side position embedding at clamp(−r(j,i) + S), as transformers gathers then transposes
          if (s.p2c) a += dot(k, b * T + j, posQ, clamp(-relPos(s, j, i) + S, 0, S2 - 1), h);
          sc[j] = mask[b * T + j] > 0 ? a / scale : -1e9;
        }
        const mx = Math.max(...sc);
        const e = sc.map((z) => Math.exp(z - mx));
        const z = e.reduce((u, w) => u + w, 0);
        for (let j = 0; j < T; j++) for (let d = 0; d < dh; d++) ctx[(b * T + i) * H + h * dh + d] += (e[j] / z) * v[(b * T + j) * H + h * dh + d];
      }
  const ao = dense(ctx, N, H, n("wo"), H, n("bo"), 0, H).map((u, i) => u + x[i]);
  const a = layerNorm(ao, N, H, n("ln1g"), n("ln1b"), s.eps);
  const g = dense(a, N, H, n("w1"), I, n("b1"), 0, I).map(gelu);
  return layerNorm(dense(g, N, I, n("w2"), H, n("b2"), 0, H).map((u, i) => u + a[i]), N, H, n("ln2g"), n("ln2b"), s.eps);
}

/** Every layer's output over x [B,T,H]. */
export function debertaStackForward(s: DebertaRefSpec, p: P, x: ArrayLike<number>, mask: ArrayLike<number>, B: number, T: number): Float64Array[] {
  const S2 = 2 * span(s);
  const rel = Float64Array.from(get(p, "rel.emb")).slice(0, S2 * s.H);
  const R = s.normRel ? layerNorm(rel, S2, s.H, get(p, "rel.g"), get(p, "rel.b"), s.eps) : rel;
  const outs: Float64Array[] = [];
  let h: Float64Array = Float64Array.from(x);
  for (let l = 0; l < s.layers; l++) outs.push((h = layer(s, p, l, h, mask, B, T, R)));
  return outs;
}
