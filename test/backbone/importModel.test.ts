import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, writeFileSync, copyFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readSafetensors } from "../../src/io/safetensors.js";
import { readModelConfig } from "../../src/families/registry.js";
import { bert } from "../../src/families/bert.js";
import { buildEncoderGraph } from "../../src/backbone/encoderGraph.js";
import { importModel } from "../../src/backbone/importModel.js";
import { Backbone } from "../../src/backbone/backbone.js";
import { loadBackbone, weightsDir } from "../helpers/model.js";

const TEXTS = [["Bring your own model."], ["A much longer sentence, so that the batch needs padding for the short one."]];
let ref: Backbone;
beforeAll(async () => {
  ref = await loadBackbone(64);
});
afterAll(async () => ref.release());

async function sameFeatures(dir: string): Promise<number> {
  const b = await Backbone.load(dir, 64, 2);
  const a = await ref.forward(TEXTS.map((t) => ref.tokenizer.encode(t)));
  const c = await b.forward(TEXTS.map((t) => b.tokenizer.encode(t)));
  await b.release();
  let worst = 0;
  a.forEach((r, i) => {
    for (const k of ["mean", "max", "min", "layersCls", "layersMean"] as const) r[k].forEach((v, j) => (worst = Math.max(worst, Math.abs(v - c[i][k][j]))));
  });
  return worst;
}

describe("bring your own model", () => {
  it("an ONNX export with hidden_states.0..L outputs gets the pooled outputs appended", async () => {
    const root = mkdtempSync(join(tmpdir(), "pb-import-"));
    const w = weightsDir();
    writeFileSync(join(root, "model.onnx"), buildEncoderGraph(bert, readSafetensors(join(w, "model/model.fp16.safetensors")), readModelConfig(join(w, "model/config.json")).cfg, { outputs: "hiddenStates" }));
    copyFileSync(join(w, "model/tokenizer.json"), join(root, "tokenizer.json"));
    const card = importModel(join(root, "model.onnx"), join(root, "prepared"));
    expect(card.numLayers).toBe(6);
    expect(card.hiddenSize).toBe(384);
    expect(await sameFeatures(join(root, "prepared"))).toBeLessThan(1e-4);
  });

  it("a BertModel checkpoint folder (config.json, safetensors, tokenizer.json) is built into a graph", async () => {
    const root = mkdtempSync(join(tmpdir(), "pb-import-"));
    const w = weightsDir();
    mkdirSync(join(root, "ckpt"));
    for (const f of ["model.fp16.safetensors", "config.json", "tokenizer.json"]) copyFileSync(join(w, "model", f), join(root, "ckpt", f));
    importModel(join(root, "ckpt"), join(root, "prepared"));
    expect(await sameFeatures(join(root, "prepared"))).toBeLessThan(1e-5);
  });

  it("an ONNX without hidden-state outputs is refused with a clear message", () => {
    const root = mkdtempSync(join(tmpdir(), "pb-import-"));
    const w = weightsDir();
    writeFileSync(join(root, "model.onnx"), buildEncoderGraph(bert, readSafetensors(join(w, "model/model.fp16.safetensors")), readModelConfig(join(w, "model/config.json")).cfg, { outputs: "lastHidden" }));
    copyFileSync(join(w, "model/tokenizer.json"), join(root, "tokenizer.json"));
    expect(() => importModel(join(root, "model.onnx"), join(root, "prepared"))).toThrow(/no hidden-state outputs \(expected hidden_states\.0 … hidden_states\.L; outputs are last_hidden_state\)/);
  });
});
