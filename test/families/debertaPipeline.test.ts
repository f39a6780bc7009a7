/**
 * A DeBERTa-v3 hub folder through the commands a user runs: `prepare-model` (spm.model converted,
 * the masked-LM head left out), then `oof` with frozen heads, fine-tuned heads over the cached
 * layer L − 2 and tfidf, then `blend` — each exits 0 and every head scores every row.
 */
import { describe, it, expect } from "vitest";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { makeSentimentCompetition } from "../helpers/competition.js";
import { runPipeline } from "../helpers/run.js";
import { readCsv } from "../../src/io/csv.js";

const DIR = join(import.meta.dirname, "../fixtures/deberta");
const HEADS = ["mean", "max", "weightedLayer", "attention", "mean-ft", "attention-ft", "weightedLayer-ft", "tfidf"];

describe("DeBERTa-v3 through prepare-model, oof and blend", () => {
  it("every head trains on the prepared model and the blend writes a submission", async () => {
    const comp = makeSentimentCompetition(90, 30);
    const hub = join(comp.root, "hub"), model = join(comp.root, "deberta");
    mkdirSync(hub);
    for (const f of ["config.json", "model.safetensors", "tokenizer_config.json"]) copyFileSync(join(DIR, "v3-mlm", f), join(hub, f));
    copyFileSync(join(DIR, "spm-only/spm.model"), join(hub, "spm.model"));
    const p = await runPipeline("prepare-model", ["--from", hub, "--out", model]);
    expect(p.stderr).toMatch(/left out: cls\.predictions\.\*/);
    expect(p.code).toBe(0);
    const out = join(comp.root, "run");
    const common = ["--config", comp.configFile, "--out", out, "--backbone.model", model];
    const o = await runPipeline("oof", [...common, "--heads", HEADS.join(","), "--finetune.topLayers", "2", "--finetune.epochs", "1", "--finetune.batchRows", "16"]);
    expect(o.stderr).not.toMatch(/internal error/);
    expect(o.code).toBe(0);
    const scores = JSON.parse(readFileSync(join(out, "scores.json"), "utf8")) as { heads: Record<string, { cv: number }> };
    expect(Object.keys(scores.heads).sort()).toEqual([...HEADS].sort());
    for (const h of HEADS) {
      expect(Number.isFinite(scores.heads[h].cv), h).toBe(true);
      const rows = readCsv(join(out, "oof", `${h}.csv`)).rows;
      expect(rows.length, h).toBe(90);
      expect(rows.every((r) => r.slice(1).every((v) => Number.isFinite(Number(v)))), h).toBe(true);
    }
    const b = await runPipeline("blend", common);
    expect(b.code).toBe(0);
  });
});
