import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeSentimentCompetition, type TempCompetition } from "../helpers/competition.js";
import { runPipeline } from "../helpers/run.js";
import { readCsv, writeCsv } from "../../src/io/csv.js";
import { shuffled } from "../../src/util/random.js";

describe("npm run blend", () => {
  let comp: TempCompetition;
  let extOof: string, extTest: string;
  beforeAll(async () => {
    comp = makeSentimentCompetition(120, 30);
    // a sample_submission in a different row order than test.csv, with an id that looks numeric
    const sample = readCsv(join(comp.dataDir, "sample_submission.csv"));
    writeCsv(join(comp.dataDir, "sample_submission.csv"), sample.header, shuffled(sample.rows, 3));
    const r = await runPipeline("oof", ["--config", comp.configFile, "--heads", "mean,max,attention"]);
    expect(r.code).toBe(0);
    // an "external model": the max head's predictions, rows shuffled
    const oof = readCsv(join(comp.root, "runs/t/oof/max.csv"));
    const test = readCsv(join(comp.root, "runs/t/test/max.csv"));
    extOof = join(comp.root, "ext_oof.csv");
    extTest = join(comp.root, "ext_test.csv");
    writeCsv(extOof, ["id", "label"], shuffled(oof.rows.map((x) => [x[0], x[2]]), 1));
    writeCsv(extTest, ["id", "label"], shuffled(test.rows, 2));
  }, 600_000);

  it("writes a submission with the sample's header, ids and order exactly, and blend.json", async () => {
    const r = await runPipeline("blend", ["--config", comp.configFile, "--heads", "mean,max,attention", "--oof", extOof, "--test", extTest, "--blend.method", "nnls"]);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/nnls \*/);
    expect(r.stdout).toMatch(/nested-CV/);
    const subFile = join(comp.root, "submissions", "t.csv");
    const sub = readCsv(subFile), sample = readCsv(join(comp.dataDir, "sample_submission.csv"));
    expect(readFileSync(subFile, "utf8").split("\n")[0]).toBe(readFileSync(join(comp.dataDir, "sample_submission.csv"), "utf8").split("\n")[0]);
    expect(sub.rows.map((x) => x[0])).toEqual(sample.rows.map((x) => x[0]));
    for (const row of sub.rows) {
      const v = Number(row[1]);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
    const b = JSON.parse(readFileSync(join(comp.root, "runs/t/blend.json"), "utf8")) as { method: string; models: string[]; nestedScore: number; methods: Record<string, unknown> };
    expect(b.method).toBe("nnls");
    expect(b.models).toEqual(["mean", "max", "attention", "ext:ext_oof"]);
    expect(Object.keys(b.methods).sort()).toEqual(["hillclimb", "nnls", "rank", "stack"]);
    // the external file is the max head reshuffled: joined by id, it must score exactly like max
    const scores = JSON.parse(readFileSync(join(comp.root, "runs/t/scores.json"), "utf8")) as { heads: Record<string, { cv: number }>; external: Record<string, { cv: number }> };
    expect(scores.external["ext:ext_oof"].cv).toBe(scores.heads.max.cv);
  });

  it("blend.method auto (the default) submits the method with the best nested-CV score and says so", async () => {
    const r = await runPipeline("blend", ["--config", comp.configFile, "--heads", "mean,max,attention", "--blend.method", "auto"]);
    expect(r.code).toBe(0);
    const b = JSON.parse(readFileSync(join(comp.root, "runs/t/blend.json"), "utf8")) as { method: string; chosenBy: string; nestedScore: number; methods: Record<string, { nestedScore: number }> };
    const best = Math.max(...Object.values(b.methods).map((m) => m.nestedScore));
    expect(b.nestedScore).toBe(best);
    expect(b.methods[b.method].nestedScore).toBe(best);
    expect(b.chosenBy).toMatch(/^auto: the best nested-CV auc of hillclimb, nnls, rank, stack$/);
    expect(r.stdout).toContain(`submitted: ${b.method} (auto: the best nested-CV auc`);
    // the report says which method went out and why
    expect(readFileSync(join(comp.root, "runs/t/report.html"), "utf8")).toContain(`Submitted: ${b.method}, chosen by auto`);
  });

  it.each([
    ["a missing row", (t: string[][]) => t.slice(1), /ext_oof\.csv: column "id": id "\d+" of the train set \(OOF\) is missing/],
    ["a NaN", (t: string[][]) => t.map((r, i) => (i === 4 ? [r[0], "NaN"] : r)), /ext_oof\.csv: row 6, column "label": not a finite number: "NaN"/],
    ["an unknown id", (t: string[][]) => [...t, ["zzz", "0.5"]], /ext_oof\.csv: row \d+, column "id": id "zzz" is not in the train set \(OOF\)/],
  ])("external OOF with %s is a clear error naming the file", async (_n, edit, re) => {
    const t = readCsv(extOof);
    const copy = join(comp.root, "bad", "ext_oof.csv");
    writeCsv(copy, t.header, edit(t.rows));
    const r = await runPipeline("blend", ["--config", comp.configFile, "--heads", "mean,max,attention", "--oof", copy, "--test", extTest]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(re);
  });

  it("external OOF with the wrong column is a clear error", async () => {
    const copy = join(comp.root, "bad", "wrongcol.csv");
    writeFileSync(copy, readFileSync(extOof, "utf8").replace("id,label", "id,prediction"));
    const r = await runPipeline("blend", ["--config", comp.configFile, "--heads", "mean,max,attention", "--oof", copy, "--test", extTest]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/wrongcol\.csv: row 1, column "label": prediction column not found/);
  });
});
