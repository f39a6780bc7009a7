/**
 * `npx poolblend <command>` (package.json `bin`) is the npm scripts under one name: the same
 * commands, help, flags, outputs and exit codes, and a signal to it stops the run it started.
 */
import { describe, it, expect } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { makeSentimentCompetition } from "../helpers/competition.js";
import { ROOT, runPipeline, type RunResult } from "../helpers/run.js";
import { readCsv } from "../../src/io/csv.js";
import { skipUnless, unavailable } from "../helpers/skips.js";
import { NPM_WARN, PIPELINE_SCRIPTS, PKG, runNpm, userEnv } from "./userShell.js";

const BIN = join(ROOT, PKG.bin.poolblend!);

function runBin(args: string[]): RunResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env: userEnv(), encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("npx poolblend", () => {
  it("--help lists every pipeline npm script, and only those", () => {
    expect(PIPELINE_SCRIPTS).toEqual(expect.arrayContaining(["features", "oof", "blend", "report", "prepare-model", "demo", "bench"]));
    const r = runNpm("npx", ["poolblend", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(NPM_WARN);
    const listed = r.stdout.split("Commands:\n")[1]!.split("\n\n")[0]!.split("\n").map((l) => l.trim().split(/\s+/)[0]);
    expect(listed.sort()).toEqual([...PIPELINE_SCRIPTS].sort());
    for (const cmd of listed) expect(PKG.scripts[cmd], cmd).toBe(`node --import tsx pipelines/${cmd}.ts`);
  });

  it("a command's --help is the npm script's help", async () => {
    for (const cmd of ["oof", "prepare-model"]) {
      const viaBin = runBin([cmd, "--help"]);
      const direct = await runPipeline(cmd, ["--help"]);
      expect(viaBin.code, cmd).toBe(0);
      expect(viaBin.stdout, cmd).toBe(direct.stdout);
      expect(viaBin.stdout, cmd).toMatch(/Options:/);
    }
  });

  it("runs a real command end to end: npx poolblend oof --config F --folds.k 3", () => {
    const comp = makeSentimentCompetition(60, 20);
    const r = runNpm("npx", ["poolblend", "oof", "--config", comp.configFile, "--folds.k", "3", "--heads", "mean,max"]);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^oof: finished in .*, peak RSS \d+ MB$/m);
    expect(r.stdout + r.stderr).not.toMatch(NPM_WARN);
    const out = join(comp.root, "runs", "t");
    const scores = JSON.parse(readFileSync(join(out, "scores.json"), "utf8")) as { heads: Record<string, { folds: number[] }> };
    expect(Object.keys(scores.heads).sort()).toEqual(["max", "mean"]);
    for (const s of Object.values(scores.heads)) expect(s.folds).toHaveLength(3);
    const oof = readCsv(join(out, "oof", "mean.csv"));
    expect(oof.rows).toHaveLength(60);
    expect(oof.rows[0]![0]).toBe("000000");
  }, 300_000);

  it("passes the command's exit code and message through", async () => {
    const missing = join(ROOT, "no-such-folder", "config.json");
    const viaBin = runBin(["oof", "--config", missing]);
    const direct = await runPipeline("oof", ["--config", missing]);
    expect(direct.code).toBe(2);
    expect(viaBin.code).toBe(2);
    expect(viaBin.stderr).toBe(direct.stderr);
    expect(viaBin.stdout).toBe("");
  });

  it("an unknown command is one line naming the commands, exit 2", () => {
    const r = runBin(["train"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^poolblend: unknown command "train"; the commands: features, oof/);
  });

  it("SIGTERM to poolblend alone stops the pipeline it started, and poolblend dies of it", async (ctx) => {
    skipUnless(ctx, unavailable.linux());
    const comp = makeSentimentCompetition(1500, 300);
    const wrapper = spawn(process.execPath, [BIN, "features", "--config", comp.configFile], { cwd: ROOT, env: userEnv(), stdio: "ignore" });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => wrapper.on("exit", (code, signal) => resolve({ code, signal })));
    // the pipeline is running real code once it has made its run folder
    let pipeline: number | undefined;
    await until(() => (pipeline ??= childrenOf(wrapper.pid!)[0]) !== undefined && existsSync(join(comp.root, "runs", "t")), 60_000);
    wrapper.kill("SIGTERM");
    expect(await exited).toEqual({ code: null, signal: "SIGTERM" });
    // how soon is not the claim (a loaded machine is slow): that it ends at all
    await until(() => !alive(pipeline!), 60_000);
  }, 120_000);
});

/** Pids whose parent is `ppid` (Linux /proc). */
function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      // fields after the command name, which may itself hold spaces or parentheses
      const [, ppidField] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(ppidField) === ppid) out.push(Number(d));
    } catch {
      // the process ended while the list was read
    }
  }
  return out;
}

/** True while the process exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

async function until(cond: () => boolean, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
