/**
 * Set-up on first use: `npm install` runs no install script (the project `.npmrc`), so the first
 * command builds the default model, its int8 variant and the bundled data (src/setup.ts) — once,
 * cheaply checked afterwards, never leaving a half-built part that passes for done, and safe when
 * two commands start together on a fresh clone.
 */
import { describe, it, expect, afterAll } from "vitest";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureSetup, setupParts, type SetupResult } from "../../src/setup.js";
import { GRAPH_VERSION, prepareDefaultModel } from "../../src/backbone/prepareModel.js";
import { ROOT } from "../helpers/run.js";
import { PKG } from "./userShell.js";

const PARTS = ["models/minilm-l6", "models/minilm-l6-int8", "data"];
const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

/** An empty poolblend folder to build into. */
function tempRoot(): string {
  const t = mkdtempSync(join(tmpdir(), "pb-setup-"));
  temps.push(t);
  return t;
}

/** ensureSetup into `root` in a child process, as a command would; `fault` kills it at that checkpoint (src/util/faults.ts). */
function child(root: string, fault?: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; result?: SetupResult }> {
  const env = { ...process.env, ...(fault ? { POOLBLEND_FAULT: fault } : {}) };
  const p = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "setupChild.ts"), root], { cwd: ROOT, env });
  let stdout = "", stderr = "";
  p.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  p.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  return new Promise((resolve) =>
    p.on("close", (code, signal) => resolve({ code, signal, stderr, ...(code === 0 ? { result: JSON.parse(stdout) as SetupResult } : {}) })),
  );
}

async function quietly(root: string, opts: { verify?: boolean } = {}): Promise<{ lines: string[]; result: SetupResult }> {
  const lines: string[] = [];
  const result = await ensureSetup((s) => lines.push(s), { root, ...opts });
  return { lines, result };
}

describe("the install runs no script", () => {
  it("the project .npmrc sets ignore-scripts=true, and nothing else", () => {
    const keys = readFileSync(join(ROOT, ".npmrc"), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#") && !l.startsWith(";"));
    expect(keys).toEqual(["ignore-scripts=true"]);
  });

  it("package.json: no install lifecycle script (it would not run), setup as npm run setup, no allowScripts (nothing for it to allow)", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as Record<string, unknown>;
    for (const s of ["preinstall", "install", "postinstall", "prepare"]) expect(PKG.scripts[s], s).toBeUndefined();
    expect(PKG.scripts.setup).toBe("node --import tsx pipelines/setup.ts");
    expect(pkg.allowScripts).toBeUndefined();
  });
});

describe("ensureSetup", () => {
  // how long the check takes is measured by npm run bench, not asserted here
  it("in this checkout (built by the globalSetup): builds nothing, says nothing", async () => {
    const runs = [await quietly(ROOT), await quietly(ROOT)];
    for (const r of runs) {
      expect(r.lines).toEqual([]);
      expect(r.result).toEqual({ built: [], current: PARTS });
    }
    // and the folder it trusts is what the full check (hashes) calls up to date
    expect(prepareDefaultModel(join(ROOT, "models", "minilm-l6")).built).toBe(false);
  });

  it("builds a fresh folder in one line, then finds it current without building; rebuilds exactly what is missing or outdated", async () => {
    const root = tempRoot();
    const first = await quietly(root);
    expect(first.result.built).toEqual(PARTS);
    expect(first.lines).toHaveLength(1);
    expect(first.lines[0]).toMatch(/^poolblend: building models\/minilm-l6, models\/minilm-l6-int8, data \(first run, ~\d+ s\)$/);
    const again = await quietly(root);
    expect(again).toMatchObject({ lines: [], result: { built: [], current: PARTS } });
    expect((await quietly(root, { verify: true })).result.built).toEqual([]);

    // a deleted model folder
    rmSync(join(root, "models", "minilm-l6"), { recursive: true });
    const deleted = await quietly(root);
    expect(deleted.result.built).toEqual(["models/minilm-l6"]);
    expect(deleted.lines).toEqual([expect.stringMatching(/^poolblend: building models\/minilm-l6 \(missing or out of date, ~\d+ s\)$/)]);
    expect(prepareDefaultModel(join(root, "models", "minilm-l6")).built).toBe(false);

    // a file missing beside a current card
    rmSync(join(root, "models", "minilm-l6", "tokenizer.json"));
    expect((await quietly(root)).result.built).toEqual(["models/minilm-l6"]);
    expect(existsSync(join(root, "models", "minilm-l6", "tokenizer.json"))).toBe(true);

    // a card of an older graph version
    const cardFile = join(root, "models", "minilm-l6", "poolblend-model.json");
    writeFileSync(cardFile, JSON.stringify({ ...JSON.parse(readFileSync(cardFile, "utf8")), graphVersion: GRAPH_VERSION - 1 }));
    expect((await quietly(root)).result.built).toEqual(["models/minilm-l6"]);
    expect(JSON.parse(readFileSync(cardFile, "utf8")).graphVersion).toBe(GRAPH_VERSION);

    // a model file changed behind the card's back: only the hashing check (npm run setup) sees it
    writeFileSync(join(root, "models", "minilm-l6", "config.json"), "{}");
    expect((await quietly(root)).result.built).toEqual([]);
    expect((await quietly(root, { verify: true })).result.built).toEqual(["models/minilm-l6"]);

    // a deleted data file
    rmSync(join(root, "data", "sotu", "test.csv"));
    expect((await quietly(root)).result.built).toEqual(["data"]);
    expect(existsSync(join(root, "data", "sotu", "test.csv"))).toBe(true);
  }, 120_000);

  it("a build killed before its marker is written is not taken for done, nor is a rebuild killed half-way", async () => {
    const root = tempRoot();
    // killed with model.onnx, tokenizer, config and weights written, just before the card
    const killed = await child(root, "rename:poolblend-model.json");
    expect(killed.signal).toBe("SIGKILL");
    expect(existsSync(join(root, "models", "minilm-l6", "model.onnx"))).toBe(true);
    expect(setupParts(root).map((p) => p.state(false))).toEqual(["missing", "missing", "missing"]);
    expect((await quietly(root)).result.built).toEqual(PARTS);

    // a rebuild of a folder with a current card (one file missing), killed writing model.onnx:
    // the card went first, so the half-rebuilt folder is not done either
    rmSync(join(root, "models", "minilm-l6", "tokenizer.json"));
    const killedAgain = await child(root, "rename:model.onnx");
    expect(killedAgain.signal).toBe("SIGKILL");
    expect(existsSync(join(root, "models", "minilm-l6", "poolblend-model.json"))).toBe(false);
    expect((await quietly(root)).result.built).toEqual(["models/minilm-l6"]);
    expect((await quietly(root, { verify: true })).result.built).toEqual([]);
  }, 120_000);

  it("two commands starting together on a fresh folder: one builds, the other waits and finds it done", async () => {
    const root = tempRoot();
    const [a, b] = await Promise.all([child(root), child(root)]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const built = [...a.result!.built, ...b.result!.built];
    expect(built.sort()).toEqual([...PARTS].sort()); // each part built exactly once
    // the other one waited for the lock (or, started late, found everything built)
    const other = a.result!.built.length === 0 ? a : b;
    if (other.stderr !== "") expect(other.stderr).toMatch(/^poolblend: another poolblend command is building .*; waiting for it\n$/);
    expect((await quietly(root, { verify: true })).result.built).toEqual([]);
  }, 120_000);
});
