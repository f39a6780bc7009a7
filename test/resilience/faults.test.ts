/**
 * Nothing lost, ever: kill -9 at many points of a real run (fault injection via
 * POOLBLEND_FAULT), rerun, and the outputs are byte-identical to an uninterrupted run.
 */
import { describe, it, expect, beforeAll, type TestContext } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync, readFileSync, cpSync, statfsSync } from "node:fs";
import { join } from "node:path";
import { makeSentimentCompetition, type TempCompetition } from "../helpers/competition.js";
import { runPipeline, treeHashes, pipelineArgv, ROOT } from "../helpers/run.js";
import { mountTmpfs, skipUnless } from "../helpers/skips.js";
import { loadConfig } from "../../src/config.js";
import { runFeatures } from "../../src/features/run.js";
import { FeatureSplit } from "../../src/store/features.js";

let comp: TempCompetition;
const args = (out: string): string[] => ["--config", comp.configFile, "--out", out, "--submission", join(out, "sub.csv"), "--folds.k", "3"];
const outputs = (out: string): Record<string, string> => {
  const all = treeHashes(out);
  // timing.json records how long the pass took: the one file that is meant to differ
  return Object.fromEntries(Object.entries(all).filter(([k]) => /^(features\/|oof\/|test\/|sub\.csv)/.test(k) && !k.endsWith("timing.json")));
};

beforeAll(async () => {
  comp = makeSentimentCompetition(60, 20);
  const r = await runPipeline("blend", args(join(comp.root, "clean")));
  expect(r.code).toBe(0);
}, 600_000);

describe("kill -9 at every stage, then rerun: byte-identical outputs", () => {
  it.each([
    ["while tokenizing", "tokenize#10"],
    ["mid-batch of the forward pass", "forward#2"],
    ["while writing a feature chunk (temp written, not renamed)", "rename#2"],
    ["while assembling the feature export", "assemble#30"],
    ["between the two renames of the export swap", "swap"],
    ["while training the heads", "train-job#4"],
    ["while writing the OOF files", "rename:mean.csv"],
    ["while writing the submission", "rename:sub.csv"],
  ])("%s (%s)", async (_what, fault) => {
    const out = join(comp.root, `fault-${fault.replace(/[^a-z0-9]/gi, "_")}`);
    const killed = await runPipeline("blend", args(out), { POOLBLEND_FAULT: fault });
    expect(killed.signal).toBe("SIGKILL");
    const again = await runPipeline("blend", args(out));
    expect(again.stderr).not.toMatch(/error/i);
    expect(again.code).toBe(0);
    expect(outputs(out)).toEqual(outputs(join(comp.root, "clean")));
  }, 300_000);
});

describe("two runs on the same run folder", () => {
  it("the second stops with a clear message and the first finishes intact", async () => {
    const out = join(comp.root, "twice");
    const first = spawn(process.execPath, pipelineArgv("blend", args(out)), { cwd: ROOT, stdio: "ignore" });
    const done = new Promise<number | null>((res) => first.on("exit", (c) => res(c)));
    while (!existsSync(join(out, ".lock"))) await new Promise((r) => setTimeout(r, 20));
    const second = await runPipeline("blend", args(out));
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/twice: another poolblend run \(pid \d+\) is using this run folder; wait for it to finish or stop it/);
    expect(await done).toBe(0);
    expect(outputs(out)).toEqual(outputs(join(comp.root, "clean")));
  }, 300_000);
});

describe("changed inputs invalidate exactly what they must", () => {
  it("a different tokenizer file recomputes everything", async () => {
    const modelCopy = join(comp.root, "model-copy");
    const cfg0 = loadConfig(comp.configFile, { out: join(comp.root, "tokchange") });
    cpSync(cfg0.backbone.model, modelCopy, { recursive: true });
    await runFeatures(cfg0);
    // same vocabulary, different bytes (a key order change) → another tokenizer hash
    const tj = JSON.parse(readFileSync(join(modelCopy, "tokenizer.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(join(modelCopy, "tokenizer.json"), JSON.stringify({ version: tj.version, ...tj }, null, 1));
    const cfg1 = loadConfig(comp.configFile, { out: join(comp.root, "tokchange"), backbone: { model: modelCopy } });
    const r = await runFeatures(cfg1);
    expect(r.splits.map((s) => s.forwardRows)).toEqual([60, 20]);
  });

  it("a cache from another feature format version is detected, never misread", async () => {
    const cfg = loadConfig(comp.configFile, { out: join(comp.root, "fmt") });
    await runFeatures(cfg);
    const mf = join(cfg.out, "features", "train", "manifest.json");
    writeFileSync(mf, readFileSync(mf, "utf8").replace('"format":1', '"format":0'));
    expect(() => FeatureSplit.open(join(cfg.out, "features", "train"))).toThrow(/feature format 0, this poolblend reads 1; rerun npm run features/);
    const r = await runFeatures(cfg);
    expect(r.splits[0].forwardRows).toBe(60);
    expect(r.splits[1].unchanged).toBe(true);
  });
});

describe("output folder problems", () => {
  it("an output path that cannot be a folder is a clear error, exit non-zero", async () => {
    const file = join(comp.root, "a-file");
    writeFileSync(file, "x");
    const r = await runPipeline("features", ["--config", comp.configFile, "--out", join(file, "run")]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/a-file\/run: cannot create the run folder \(ENOTDIR\)$/);
  });

  /** Runs `fn` on a fresh tmpfs of `size` (resizable with `resize`); without the right to mount, the test is skipped and says why. */
  async function onTmpfs(ctx: TestContext, name: string, size: string, fn: (mnt: string, resize: (size: string) => void) => Promise<void>): Promise<void> {
    const mnt = join(comp.root, name);
    mkdirSync(mnt);
    skipUnless(ctx, mountTmpfs(mnt, size));
    try {
      await fn(mnt, (sz) => spawnSync("mount", ["-o", `remount,size=${sz}`, mnt]));
    } finally {
      spawnSync("umount", [mnt]);
    }
  }

  it("a full disk is a clear error; freeing space and rerunning resumes to the same result", async (ctx) => {
    await onTmpfs(ctx, "tiny", "600k", async (mnt, resize) => {
      const out = join(mnt, "run");
      const r = await runPipeline("features", ["--config", comp.configFile, "--out", out]);
      expect(r.code).toBe(3);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(/poolblend: disk full: ENOSPC/);
      resize("20m");
      const again = await runPipeline("features", ["--config", comp.configFile, "--out", out]);
      expect(again.code).toBe(0);
      const clean = outputs(join(comp.root, "clean"));
      const got = outputs(out);
      for (const k of Object.keys(clean).filter((x) => x.startsWith("features/"))) expect(got[k], k).toBe(clean[k]);
    });
  });

  it("a disk that fills while the heads' results are saved: disk full, exit 3, and the rerun ends identical", async (ctx) => {
    await onTmpfs(ctx, "tiny-oof", "20m", async (mnt, resize) => {
      const out = join(mnt, "run");
      expect((await runPipeline("features", args(out))).code).toBe(0);
      // leave a few pages free: the features fit, the fold jobs' result files do not
      const st = statfsSync(mnt);
      resize(`${Math.ceil(((st.blocks - st.bfree) * st.bsize) / 1024) + 8}k`);
      const r = await runPipeline("oof", args(out));
      // before the pool waited for busy workers, this run often died of SIGABRT instead
      expect(r.code, r.stderr).toBe(3);
      // the cached-features lines, then one line for the failure: no stack
      expect(r.stderr.trim().split("\n").at(-1)).toMatch(/^poolblend: disk full: ENOSPC/);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
      resize("40m");
      expect((await runPipeline("blend", args(out))).code).toBe(0);
      expect(outputs(out)).toEqual(outputs(join(comp.root, "clean")));
    });
  });
});
