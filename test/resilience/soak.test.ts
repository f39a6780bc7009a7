/**
 * The long soak behind an env flag (too long for CI): features, OOF and blend on many IMDB
 * reviews, with the peak memory of each command checked against a bound.
 *
 *   POOLBLEND_SOAK=49000 npx vitest run test/resilience/soak.test.ts   # ~35 + 36 min on 2 cores
 *
 * POOLBLEND_SOAK is the number of training reviews (500 held out as test); POOLBLEND_SOAK_RSS_MB
 * the bound on each command's peak RSS (default 4096).
 */
import { describe, it, expect } from "vitest";
import { mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildImdbCompetition } from "../../src/data/bundled.js";
import { readCsv } from "../../src/io/csv.js";
import { runPipeline } from "../helpers/run.js";
import { optIn, skipUnless } from "../helpers/skips.js";

const N = Number(process.env.POOLBLEND_SOAK ?? 0);
const RSS_BOUND_MB = Number(process.env.POOLBLEND_SOAK_RSS_MB ?? 4096);
const HEADS = ["mean", "max", "min", "weightedLayer", "attention"];

function peakRssMb(stderr: string): number {
  const m = /peak RSS (\d+) MB/.exec(stderr);
  if (!m) throw new Error(`no peak RSS line in:\n${stderr}`);
  return Number(m[1]);
}

function dirBytes(d: string): number {
  return readdirSync(d).reduce((s, f) => s + statSync(join(d, f)).size, 0);
}

describe("soak: IMDB at scale with bounded memory", () => {
  it(`features, oof and blend on ${N || "POOLBLEND_SOAK"} reviews stay under ${RSS_BOUND_MB} MB each`, { timeout: 6 * 3600_000 }, async (ctx) => {
    skipUnless(ctx, N ? null : optIn("set POOLBLEND_SOAK to a number of training reviews, e.g. 49000 (about 70 min on 2 cores)"));
    const root = mkdtempSync(join(tmpdir(), "poolblend-soak-"));
    buildImdbCompetition(join(root, "data"), N, 500);
    const config = join(root, "soak.config.json");
    writeFileSync(config, JSON.stringify({ name: "soak", data: { dir: "data", id: "id", text: ["text"], target: ["label"] }, task: "binary", metric: "auc", heads: HEADS }));
    const figures: string[] = [];
    for (const cmd of ["features", "oof", "blend"]) {
      const r = await runPipeline(cmd, ["--config", config, "--submission", join(root, "submission.csv")]);
      expect(r.code, r.stderr).toBe(0);
      const rss = peakRssMb(r.stderr);
      figures.push(`${cmd}: ${r.stderr.trim().split("\n").at(-1)}`);
      expect(rss).toBeLessThan(RSS_BOUND_MB);
    }
    const tokensBytes = dirBytes(join(root, "runs/soak/features/train"));
    figures.push(`train feature export: ${(tokensBytes / 2 ** 30).toFixed(2)} GiB`);
    for (const h of HEADS) {
      const oof = readCsv(join(root, "runs/soak/oof", `${h}.csv`));
      expect(oof.rows).toHaveLength(N);
      for (const row of oof.rows) expect(Number.isFinite(Number(row[2]))).toBe(true);
    }
    const sub = readCsv(join(root, "submission.csv"));
    expect(sub.rows).toHaveLength(500);
    console.log(figures.join("\n"));
  });
});
