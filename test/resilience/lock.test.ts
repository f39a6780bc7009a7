/**
 * The run lock, case by case, with real processes: a killed run (the whole `npm run` process
 * group, kill -9) never locks its own folder — an immediate rerun resumes and ends byte-identical —
 * while a live run, however busy, in whatever PID namespace, through whatever path, is never
 * mistaken for a dead one.
 */
import { describe, it, expect, beforeAll } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { makeSentimentCompetition, type TempCompetition } from "../helpers/competition.js";
import { runPipeline, treeHashes, pipelineArgv, ROOT, type RunResult } from "../helpers/run.js";
import { MODEL_DIR } from "../helpers/model.js";
import { skipUnless, unavailable } from "../helpers/skips.js";
import { STALE_MS } from "../../src/util/lock.js";

let comp: TempCompetition;
const args = (out: string): string[] => ["--config", comp.configFile, "--out", out, "--submission", join(out, "sub.csv")];

/** Output files by path → hash, for the parts a command writes (timing.json is meant to differ). */
function outputs(out: string, parts = /^(features\/|oof\/|test\/|sub\.csv)/): Record<string, string> {
  return Object.fromEntries(Object.entries(treeHashes(out)).filter(([k]) => parts.test(k) && !k.endsWith("timing.json")));
}
const FEATURES = /^features\//;
const OOF = /^(features\/|oof\/|test\/)/;
const clean = (parts?: RegExp): Record<string, string> => outputs(join(comp.root, "clean"), parts);

/** A run folder that already has the clean run's features (so oof and blend start at once). */
function withFeatures(name: string): string {
  const out = join(comp.root, name);
  cpSync(join(comp.root, "clean", "features"), join(out, "features"), { recursive: true });
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const exited = (c: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> =>
  c.exitCode !== null || c.signalCode !== null ? Promise.resolve({ code: c.exitCode, signal: c.signalCode }) : new Promise((res) => c.once("exit", (code, signal) => res({ code, signal })));

/** `npm run <script> -- args` in a process group of its own, as a job started from a shell is. */
function npmRun(script: string, a: string[]): ChildProcess {
  return spawn("npm", ["run", "--silent", script, "--", ...a], { cwd: ROOT, detached: true, stdio: "ignore" });
}

/**
 * The moment `when()` holds, stops the whole process group (SIGSTOP, so the point is exact),
 * reads `where()` — the state it was stopped in — then kills the group with SIGKILL: npm, its
 * shell and the node process die at once, nobody cleans up, nobody reaps the node process.
 */
async function killGroupWhen<T>(group: ChildProcess, when: () => boolean, where: () => T): Promise<T> {
  const done = exited(group);
  let finished = false;
  void done.then(() => (finished = true));
  await until(() => finished || when(), "the kill point");
  expect(finished, "the run finished before the kill point").toBe(false);
  process.kill(-group.pid!, "SIGSTOP");
  const state = where();
  process.kill(-group.pid!, "SIGKILL");
  expect((await done).signal).toBe("SIGKILL");
  return state;
}

/** The pid of the process holding `out`'s lock, once one does. */
async function lockHolderPid(out: string): Promise<number> {
  const owner = join(out, ".lock", "owner.json");
  await until(() => existsSync(owner), `a lock in ${out}`);
  return (JSON.parse(readFileSync(owner, "utf8")) as { pid: number }).pid;
}

/** A rerun after a kill: proceeds and exits 0. */
function expectProceeded(r: RunResult): void {
  expect(r.stderr).not.toMatch(/another poolblend run|internal error/);
  expect(r.code, r.stderr).toBe(0);
}

/** The line of a rerun that took over at once because the kernel proved the holder gone. */
const tookOverAtOnce = (command: string, pid = "\\d+"): RegExp => new RegExp(`taking over the run lock of pid ${pid} \\(npm run ${command}, started [^)]+\\), which is no longer running`);
/** The line of a rerun that waits out the heartbeat (nothing proves the holder gone). */
const HEARTBEAT_WAIT = `shows no heartbeat; taking the lock over if it stays silent for ${STALE_MS / 1000} s`;

/**
 * A minimal lock holder: takes the run lock with the real code, says "locked", then either
 * sleeps (`idle`) or runs synchronous JS on the main thread (`busy`, as blend does for ~30 s at
 * 49k rows) for `ms`, and exits normally.
 */
const HOLDER = `
import { lockRunDir } from ${JSON.stringify(pathToFileURL(join(ROOT, "src/util/lock.ts")).href)};
const [dir, ms, mode] = process.argv.slice(1);
await lockRunDir(dir);
process.stdout.write("locked\\n");
const end = Date.now() + Number(ms);
if (mode === "busy") while (Date.now() < end);
else await new Promise((r) => setTimeout(r, Number(ms)));
`;
const holderArgv = (dir: string, ms: number, mode: "idle" | "busy"): string[] => ["--import", "tsx", "--input-type=module", "-e", HOLDER, dir, String(ms), mode];

/** Starts a holder (optionally under a wrapper command such as unshare) and waits until it holds the lock. */
async function startHolder(dir: string, ms: number, mode: "idle" | "busy", wrap: string[] = []): Promise<{ child: ChildProcess; stderr: () => string }> {
  const [cmd, ...rest] = [...wrap, process.execPath, ...holderArgv(dir, ms, mode)];
  const child = spawn(cmd, rest, { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let out = "", err = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  await until(() => out.includes("locked") || child.exitCode !== null, "the holder to take the lock");
  expect(out, err).toContain("locked");
  return { child, stderr: () => err };
}

beforeAll(async () => {
  comp = makeSentimentCompetition(120, 30, {
    heads: ["mean", "max"],
    folds: { k: 3, seed: 1 },
    backbone: { model: MODEL_DIR, maxLength: 32, batchTokens: 1024, chunkRows: 8 },
    headOptions: { workers: 1 },
  });
  const r = await runPipeline("blend", args(join(comp.root, "clean")));
  expect(r.code, r.stderr).toBe(0);
}, 300_000);

describe.concurrent("kill -9 of the whole npm run process group, then an immediate rerun: resumes, byte-identical", () => {
  it("features, killed between feature chunks", async () => {
    const out = join(comp.root, "kill-features");
    const parts = join(out, "features", ".work", "train");
    const midway = await killGroupWhen(
      npmRun("features", args(out)),
      () => existsSync(parts) && readdirSync(parts).filter((f) => f.endsWith(".bin")).length >= 2,
      () => !existsSync(join(out, "features", "test", "manifest.json")),
    );
    expect(midway).toBe(true);
    const r = await runPipeline("features", args(out));
    expectProceeded(r);
    expect(r.stderr).toMatch(tookOverAtOnce("features"));
    expect(r.stderr).toMatch(/features train: 120 rows, \d+ computed, 0 reused, [1-9]\d* resumed/);
    expect(outputs(out, FEATURES)).toEqual(clean(FEATURES));
  });

  it("oof, killed between fold jobs", async () => {
    const out = withFeatures("kill-oof");
    const jobs = join(out, "oof", ".jobs");
    const midway = await killGroupWhen(
      npmRun("oof", args(out)),
      () => existsSync(jobs) && readdirSync(jobs).filter((f) => f.endsWith(".json")).length >= 2,
      () => !existsSync(join(out, "scores.json")),
    );
    expect(midway).toBe(true);
    const r = await runPipeline("oof", args(out));
    expectProceeded(r);
    expect(r.stderr).toMatch(tookOverAtOnce("oof"));
    expect(r.stderr).toMatch(/oof: [2-6]\/6 fold jobs already done, resuming/);
    expect(outputs(out, OOF)).toEqual(clean(OOF));
  });

  it("blend, killed in its blend stage (heads done, no submission yet)", async () => {
    const out = withFeatures("kill-blend");
    const midway = await killGroupWhen(
      npmRun("blend", args(out)),
      () => existsSync(join(out, "scores.json")),
      () => !existsSync(join(out, "sub.csv")) && !existsSync(join(out, "blend.json")),
    );
    expect(midway).toBe(true);
    const r = await runPipeline("blend", args(out));
    expectProceeded(r);
    expect(r.stderr).toMatch(tookOverAtOnce("blend"));
    expect(r.stderr).toMatch(/oof: 6\/6 fold jobs already done, resuming/);
    expect(outputs(out)).toEqual(clean());
  });
});

describe.concurrent("a dead holder never blocks", () => {
  it("a zombie holder (its parent never reaps it): the next run proceeds", async () => {
    const out = withFeatures("zombie");
    // the shell starts the holder, then becomes `sleep`, which never calls wait()
    const parent = spawn("sh", ["-c", '"$0" "$@" >/dev/null 2>&1 & echo $!; exec sleep 300', process.execPath, ...pipelineArgv("oof", args(out))], { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "ignore"] });
    try {
      let said = "";
      parent.stdout!.setEncoding("utf8").on("data", (d: string) => (said += d));
      await until(() => said.includes("\n"), "the holder's pid");
      const pid = Number(said.trim());
      expect(await lockHolderPid(out)).toBe(pid);
      process.kill(pid, "SIGKILL");
      const state = (): string => readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "")[0];
      await until(() => state() === "Z", "the holder to become a zombie");
      const r = await runPipeline("oof", args(out));
      expect(state(), "still a zombie while the rerun ran").toBe("Z");
      expectProceeded(r);
      expect(r.stderr).toMatch(tookOverAtOnce("oof", String(pid)));
      expect(outputs(out, OOF)).toEqual(clean(OOF));
    } finally {
      process.kill(-parent.pid!, "SIGKILL");
    }
  });

  /** This machine's boot and PID namespace, as the lock records them. */
  const here = { boot: readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim(), pidns: readlinkSync("/proc/self/ns/pid") };
  it.each([
    ["the test runner's pid, a start time that is not the runner's (a reused PID)", process.pid, hostname(), { ...here, start: "1" }, "at once"],
    ["PID 1, a start time that is not init's", 1, hostname(), { ...here, start: "1" }, "at once"],
    ["the test runner's pid, written on another host", process.pid, "another-host", undefined, "heartbeat"],
    ["PID 1, written on another host", 1, "another-host", undefined, "heartbeat"],
  ])("a stale lock naming a live unrelated process (%s) is taken over", async (_what, pid, host, proc, how) => {
    const out = withFeatures(`stale-${pid}-${how.replace(" ", "-")}`);
    mkdirSync(join(out, ".lock"));
    const owner = { token: "0123456789abcdef01234567", host, pid, started: new Date().toISOString(), command: "npm run oof", proc };
    writeFileSync(join(out, ".lock", "owner.json"), JSON.stringify(owner));
    writeFileSync(join(out, ".lock", "heartbeat"), "");
    const t0 = Date.now();
    const r = await runPipeline("features", args(out));
    expectProceeded(r);
    if (how === "at once") expect(r.stderr).toMatch(tookOverAtOnce("oof", String(pid)));
    else {
      expect(r.stderr).toMatch(`pid ${pid} on another-host (npm run oof, started`);
      expect(r.stderr).toMatch(HEARTBEAT_WAIT);
      // it waited out the silence window instead of taking over at once (how much longer depends on the machine's load)
      expect(Date.now() - t0).toBeGreaterThanOrEqual(STALE_MS);
    }
    expect(existsSync(join(out, ".lock")), "released on exit").toBe(false);
  });

  it.each([
    ["the test runner's own pid", process.pid],
    ["PID 1", 1],
  ])("the PID-file .lock of an older poolblend (%s) does not block at all", async (_what, pid) => {
    const out = withFeatures(`oldlock-${pid}`);
    writeFileSync(join(out, ".lock"), String(pid));
    const r = await runPipeline("features", args(out));
    expectProceeded(r);
    expect(r.stderr).not.toMatch("heartbeat");
    expect(existsSync(join(out, ".lock"))).toBe(false);
  });

  it("a holder frozen longer than the staleness window (SIGSTOP) is superseded, and stops itself when it wakes", async () => {
    const out = withFeatures("frozen");
    const first = await startHolder(out, 120_000, "idle");
    try {
      process.kill(first.child.pid!, "SIGSTOP");
      const second = await startHolder(out, 3_000, "idle"); // takes over after the staleness window
      process.kill(first.child.pid!, "SIGCONT");
      expect(await exited(first.child)).toEqual({ code: null, signal: "SIGKILL" });
      expect(first.stderr()).toMatch(`poolblend: ${out}: this run lost the run folder's lock (another run took it over while this one was stopped`);
      expect(await exited(second.child)).toEqual({ code: 0, signal: null });
      expect(existsSync(join(out, ".lock"))).toBe(false);
    } finally {
      first.child.kill("SIGKILL");
    }
  });
});

describe.concurrent("a live holder is never taken for a dead one", () => {
  it("two runs on one folder: the second stops with one line and exit 2; with --wait it waits, then proceeds", async () => {
    const out = withFeatures("two-live");
    // synchronous work on the holder's main thread for longer than the staleness window, and long
    // enough that the second run (a fresh process, slow to start on a loaded machine) decides while
    // the holder is still busy: with 2 s of margin a loaded CI machine saw the holder finish first
    const holder = await startHolder(out, STALE_MS + 8_000, "busy");
    let holderEnded = false;
    const holderDone = exited(holder.child).then((e) => {
      holderEnded = true;
      return e;
    });
    const waiter = runPipeline("features", [...args(out), "--wait"]).then((r) => ({ ...r, holderEndedFirst: holderEnded }));
    const second = await runPipeline("features", args(out));
    expect(second.code).toBe(2);
    expect(second.stderr.trim().split("\n")).toHaveLength(1);
    expect(second.stderr).toMatch(`poolblend: ${out}: another poolblend run (pid ${holder.child.pid}) is using this run folder; wait for it to finish or stop it, or rerun with --wait to queue behind it (npm run `);
    expect(holderEnded, "the second run decided while the holder was busy").toBe(false);
    const w = await waiter;
    expect(await holderDone).toEqual({ code: 0, signal: null });
    expectProceeded(w);
    expect(w.holderEndedFirst, "--wait proceeded only after the holder finished").toBe(true);
    expect(w.stderr).toMatch(`${out}: waiting for pid ${holder.child.pid} (`);
    expect(outputs(out, FEATURES)).toEqual(clean(FEATURES));
  });

  it("one folder reached by two paths (a symlink) is still one lock, either way round", async () => {
    for (const holderUsesLink of [false, true]) {
      const real = withFeatures(`linked-${holderUsesLink}`);
      const link = join(comp.root, `link-to-linked-${holderUsesLink}`);
      symlinkSync(real, link);
      const [holds, tries] = holderUsesLink ? [link, real] : [real, link];
      const holder = await startHolder(holds, 60_000, "idle");
      try {
        const r = await runPipeline("features", args(tries));
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(`poolblend: ${tries}: another poolblend run (pid ${holder.child.pid}) is using this run folder`);
      } finally {
        holder.child.kill("SIGTERM");
        await exited(holder.child);
      }
    }
  });

  it("six --wait runs racing for one stale lock hold it one at a time, never two at once", async () => {
    const out = join(comp.root, "race");
    mkdirSync(join(out, ".lock"), { recursive: true });
    writeFileSync(join(out, ".lock", "owner.json"), JSON.stringify({ token: "stale", host: "another-host", pid: 4242, started: new Date().toISOString(), command: "npm run oof" }));
    writeFileSync(join(out, ".lock", "heartbeat"), "");
    const log = join(comp.root, "race.log");
    // each run, once it holds the lock, spends 500 ms of synchronous work, then logs when it held it
    const racer = `
      import { lockRunDir } from ${JSON.stringify(pathToFileURL(join(ROOT, "src/util/lock.ts")).href)};
      import { appendFileSync } from "node:fs";
      await lockRunDir(process.argv[1], { wait: true });
      const from = performance.timeOrigin + performance.now();
      const end = Date.now() + 500;
      while (Date.now() < end);
      appendFileSync(process.argv[2], JSON.stringify([from, performance.timeOrigin + performance.now()]) + "\\n");`;
    const runs = Array.from({ length: 6 }, () => {
      const c = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", racer, out, log], { cwd: ROOT, stdio: "ignore" });
      return exited(c);
    });
    for (const e of await Promise.all(runs)) expect(e).toEqual({ code: 0, signal: null });
    const held = readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l) as [number, number]).sort((a, b) => a[0] - b[0]);
    expect(held).toHaveLength(6);
    for (let i = 1; i < held.length; i++) expect(held[i][0], "a run took the lock while another held it").toBeGreaterThanOrEqual(held[i - 1][1]);
    expect(readdirSync(out), "no lock or leftovers after the last run").toEqual([]);
  });

  it("a holder in another PID namespace: alive is alive; killed, the next run proceeds", async (ctx) => {
    skipUnless(ctx, unavailable.pidNamespace());
    const out = withFeatures("pidns");
    const holder = await startHolder(out, 120_000, "idle", ["unshare", "--pid", "--fork"]);
    try {
      const pid = await lockHolderPid(out);
      expect(pid, "the holder's pid in its own namespace").toBe(1);
      const r = await runPipeline("features", args(out));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(`another poolblend run (pid 1) is using this run folder`);
    } finally {
      process.kill(-holder.child.pid!, "SIGKILL");
    }
    await exited(holder.child);
    const again = await runPipeline("features", args(out));
    expectProceeded(again);
    // the kernel cannot vouch across PID namespaces: the heartbeat decides
    expect(again.stderr).toMatch(`pid 1 (npm run `);
    expect(again.stderr).toMatch(HEARTBEAT_WAIT);
    expect(outputs(out, FEATURES)).toEqual(clean(FEATURES));
  });
});
