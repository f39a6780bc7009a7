/**
 * Bringing a DeBERTa-v3 checkpoint as the hub has it (config.json, model.safetensors with a
 * `deberta.` prefix and a task head beside the encoder, spm.model, tokenizer_config.json, no
 * tokenizer.json): prepare-model converts the tokenizer, uses the encoder, and the prepared folder
 * gives sentencepiece's ids and transformers' pooled features. Unreadable checkpoints fail with
 * one line naming the file.
 */
import { describe, it, expect } from "vitest";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEBERTA_FIXTURES, debertaExpected } from "./fixtures.js";
import { importModel } from "../../src/backbone/importModel.js";
import { Backbone } from "../../src/backbone/backbone.js";
import { readNpy } from "../../src/io/npy.js";
import { UserError } from "../../src/util/errors.js";

const DIR = DEBERTA_FIXTURES;
const expected = debertaExpected;

/** A hub-like folder: the fixture checkpoint `name` plus spm.model. */
function hubFolder(name: string): string {
  const root = mkdtempSync(join(tmpdir(), "pb-deberta-"));
  for (const f of ["config.json", "model.safetensors", "tokenizer_config.json"]) copyFileSync(join(DIR, name, f), join(root, f));
  copyFileSync(join(DIR, "spm-only/spm.model"), join(root, "spm.model"));
  return root;
}

describe("prepare-model on a DeBERTa-v3 hub folder", () => {
  for (const [name, head] of [["v3-mlm", "cls.predictions"], ["buckets16-cls", "classifier"]] as const) {
    it(`${name}: tokenizer.json from spm.model, the encoder without the ${head} head, features as transformers`, async () => {
      const src = hubFolder(name);
      const out = join(src, "prepared");
      const log: string[] = [];
      const card = importModel(src, out, undefined, (l) => log.push(l));
      expect(existsSync(join(out, "tokenizer.json"))).toBe(true);
      expect(card.numLayers).toBe(expected.models[name].numLayers);
      expect(log.length).toBe(1);
      expect(log[0]).toMatch(new RegExp(`using the encoder of .*model\\.safetensors; \\d+ other tensors \\(task heads\\) left out: .*${head}`));
      const b = await Backbone.load(out, expected.maxLength, 1);
      // token ids: sentencepiece's on every hostile text, through poolblend's own truncation — except a
      // pair cut on both sides with an odd budget, where poolblend's longest-first keeps one token less of
      // the first segment than Hugging Face does (29 + 25 pieces into 37: poolblend 18 + 19, HF 19 + 18)
      expected.texts.forEach((segs, i) => {
        const ids = Array.from(b.tokenizer.encode(segs).ids);
        if (segs.length === 2 && ids.filter((t) => t === 2).length === 2 && ids.length === expected.maxLength) {
          expect(ids.indexOf(2), "the pair cut on both sides").toBe(expected.spmIds[i].indexOf(2) - 1);
          expect(ids.slice(0, ids.indexOf(2))).toEqual(expected.spmIds[i].slice(0, ids.indexOf(2)));
        } else expect(ids, segs.join(" | ")).toEqual(expected.spmIds[i]);
      });
      // features: rows where sentencepiece and transformers agree on the ids, against transformers' hidden states
      const m = expected.models[name];
      const H = m.hiddenSize, L1 = m.numLayers + 1;
      const ref = readNpy(join(DIR, `${name}.hidden.npy`)).data as Float32Array;
      const rows = m.rows.map((r, k) => ({ r, k })).filter(({ r }) => Array.from(b.tokenizer.encode(expected.texts[r]).ids).join() === expected.transformersIds[r].join());
      expect(rows.length).toBeGreaterThanOrEqual(4);
      const feats = await b.forward(rows.map(({ r }) => b.tokenizer.encode(expected.texts[r])));
      await b.release();
      let worst = 0;
      rows.forEach(({ r, k }, i) => {
        const n = expected.spmIds[r].length;
        for (let l = 0; l < L1; l++)
          for (let h = 0; h < H; h++) {
            let s = 0;
            for (let t = 0; t < n; t++) s += ref[((k * L1 + l) * m.seqLen + t) * H + h];
            worst = Math.max(worst, Math.abs(feats[i].layersMean[l * H + h] - s / n), Math.abs(feats[i].layersCls[l * H + h] - ref[((k * L1 + l) * m.seqLen) * H + h]));
          }
      });
      expect(worst).toBeLessThan(1e-4);
    });
  }

  it("a folder with neither tokenizer.json nor spm.model is refused naming the missing file", () => {
    const src = hubFolder("v3-mlm");
    writeFileSync(join(src, "spm.model"), "");
    expect(() => importModel(src, join(src, "out"))).toThrow(/spm\.model: not a sentencepiece model/);
  });

  it("unreadable weights fail with one line naming the file", () => {
    const src = hubFolder("v3-mlm");
    writeFileSync(join(src, "model.safetensors"), "not a safetensors file at all");
    let err: unknown;
    try {
      importModel(src, join(src, "out"));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/model\.safetensors/);
    expect((err as Error).message).not.toMatch(/\n/);
  });

  it("a config this graph cannot express (conv layer of v2-xlarge) fails naming config.json", () => {
    const src = hubFolder("v3-mlm");
    const cfg = JSON.parse(readFileSync(join(src, "config.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(join(src, "config.json"), JSON.stringify({ ...cfg, conv_kernel_size: 3 }));
    expect(() => importModel(src, join(src, "out"))).toThrow(/config\.json: conv_kernel_size > 0/);
  });
});
