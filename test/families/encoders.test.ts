/**
 * Every BERT-like family against Hugging Face transformers: small random-weight checkpoints
 * saved by transformers with their task heads (test/fixtures/encoders/<family>/, made by
 * generate.py there), token ids of hostile texts (accents, emoji, CJK, repeated whitespace,
 * literal special tokens, pairs, truncation) exact, and every hidden state of every valid token —
 * plain and fused graph, rows padded together in one batch — and the pooled outputs of the
 * prepared model folder within 1e-4 of transformers' float64 forward pass.
 */
import { describe, it, expect, beforeAll } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { importModel } from "../../src/backbone/importModel.js";
import { Backbone } from "../../src/backbone/backbone.js";
import { EncoderTokenizer } from "../../src/backbone/tokenizer.js";
import { buildEncoderGraph } from "../../src/backbone/encoderGraph.js";
import { readSafetensors } from "../../src/io/safetensors.js";
import { readModelConfig } from "../../src/families/registry.js";
import { OrtSession, int64, f32 } from "../../src/backends/ort.js";
import { FAMILY_FIXTURES, FIXTURES } from "./fixtures.js";


interface Row {
  texts: string[];
  ids: number[];
  idsTruncated: number[];
  types?: number[];
  /** base64 float32 [T × H] per hidden state 0 … L, of idsTruncated */
  hidden: string[];
}
interface Expected {
  maxLength: number;
  hiddenSize: number;
  rows: Row[];
}

function decode(b64: string): Float32Array {
  const b = Buffer.from(b64, "base64");
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** max |a − b| over [T × H] */
function worst(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe.each(FAMILY_FIXTURES)("%s against transformers", (name) => {
  const dir = join(FIXTURES, name);
  let fx: Expected;
  let prepared: string;
  const notes: string[] = [];
  beforeAll(() => {
    fx = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8")) as Expected;
    prepared = join(mkdtempSync(join(tmpdir(), `pb-${name}-`)), "model");
    importModel(dir, prepared, undefined, (line) => notes.push(line));
  });

  it("prepare-model uses the encoder and says in one line which head tensors it left out", () => {
    expect(notes.length).toBe(1);
    expect(notes[0]).toMatch(/^using the encoder of .*model\.safetensors; \d+ other tensors \(task heads\) left out: /);
    expect(notes[0]).toMatch(name === "electra" ? /discriminator_predictions/ : name === "roberta" ? /lm_head/ : /classifier/);
  });

  it("token ids: exact on every hostile text, untruncated and truncated to maxLength (token types too)", () => {
    const { family, cfg } = readModelConfig(join(dir, "config.json"));
    const full = new EncoderTokenizer(join(dir, "tokenizer.json"), 512, family.tokens, cfg.typeVocabSize > 1);
    const cut = new EncoderTokenizer(join(dir, "tokenizer.json"), fx.maxLength, family.tokens, cfg.typeVocabSize > 1);
    let agree = 0;
    for (const r of fx.rows) {
      expect(Array.from(full.encode(r.texts).ids), JSON.stringify(r.texts)).toEqual(r.ids);
      const e = cut.encode(r.texts);
      expect(Array.from(e.ids), `${JSON.stringify(r.texts)} truncated`).toEqual(r.idsTruncated);
      if (r.types) expect(Array.from(e.types)).toEqual(r.types);
      agree += 2;
    }
    console.log(`${name}: token ids agree on ${agree}/${2 * fx.rows.length} encodings (${fx.rows.length} hostile rows, full and truncated to ${fx.maxLength})`);
  });

  it.each([false, true])("every hidden state of every valid token within 1e-4, rows padded in one batch (fused %s)", async (fused) => {
    const { family, cfg } = readModelConfig(join(dir, "config.json"));
    const s = await OrtSession.load(buildEncoderGraph(family, readSafetensors(join(dir, "model.safetensors")), cfg, { outputs: "hiddenStates", fused }), { threads: 1 });
    const tok = new EncoderTokenizer(join(dir, "tokenizer.json"), fx.maxLength, family.tokens, cfg.typeVocabSize > 1);
    const b = tok.padBatch(fx.rows.map((r) => tok.encode(r.texts)));
    const dims = [b.size, b.seqLen];
    const feeds = { input_ids: int64(b.inputIds, dims), attention_mask: int64(b.attentionMask, dims), token_type_ids: int64(b.tokenTypeIds, dims) };
    const out = await s.run(Object.fromEntries(Object.entries(feeds).filter(([k]) => s.inputNames.includes(k))));
    await s.release();
    const H = fx.hiddenSize;
    const perLayer = Array.from({ length: cfg.numLayers + 1 }, (_, l) => {
      const got = f32(out[`hidden_states.${l}`]);
      return Math.max(...fx.rows.map((r, i) => worst(got.subarray(i * b.seqLen * H, (i * b.seqLen + r.idsTruncated.length) * H), decode(r.hidden[l]))));
    });
    console.log(`${name} (fused ${fused}): max |diff| to transformers per hidden state 0…${cfg.numLayers}: ${perLayer.map((x) => x.toExponential(2)).join(", ")}`);
    for (const e of perLayer) expect(e).toBeLessThan(1e-4);
  });

  it("the prepared model folder's pooled outputs (mean, max, min, layers_cls, layers_mean) within 1e-4", async () => {
    const bb = await Backbone.load(prepared, fx.maxLength, 1);
    const feats = await bb.forward(fx.rows.map((r) => bb.tokenizer.encode(r.texts)));
    await bb.release();
    const H = fx.hiddenSize, L1 = fx.rows[0].hidden.length;
    const errs = { mean: 0, max: 0, min: 0, layersCls: 0, layersMean: 0 };
    fx.rows.forEach((r, i) => {
      const T = r.idsTruncated.length;
      const hs = r.hidden.map(decode);
      const meanOf = (h: Float32Array): Float64Array => Float64Array.from({ length: H }, (_, j) => Array.from({ length: T }, (_, t) => h[t * H + j]).reduce((a, v) => a + v, 0) / T);
      const ext = (h: Float32Array, f: (...v: number[]) => number): number[] => Array.from({ length: H }, (_, j) => f(...Array.from({ length: T }, (_, t) => h[t * H + j])));
      const last = hs[L1 - 1];
      errs.mean = Math.max(errs.mean, worst(feats[i].mean, meanOf(last)));
      errs.max = Math.max(errs.max, worst(feats[i].max, ext(last, Math.max)));
      errs.min = Math.max(errs.min, worst(feats[i].min, ext(last, Math.min)));
      hs.forEach((h, l) => {
        errs.layersCls = Math.max(errs.layersCls, worst(feats[i].layersCls.subarray(l * H, (l + 1) * H), h.subarray(0, H)));
        errs.layersMean = Math.max(errs.layersMean, worst(feats[i].layersMean.subarray(l * H, (l + 1) * H), meanOf(h)));
      });
    });
    console.log(`${name}: pooled outputs, max |diff| to transformers: ${Object.entries(errs).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(", ")}`);
    for (const v of Object.values(errs)) expect(v).toBeLessThan(1e-4);
  });
});
