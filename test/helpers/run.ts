/** Runs a pipeline as a real child process, the way a user does. */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { readdirSync, readFileSync, statSync, existsSync } from "node:fs";
import { sha256 } from "../../src/util/hash.js";

export const ROOT = join(import.meta.dirname, "../..");

export interface RunResult {
  code: number | null;
  /** the signal that ended the run, if one did */
  signal?: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `node --import tsx pipelines/<name>.ts ...args`, as the npm scripts run it. */
export function pipelineArgv(name: string, args: string[]): string[] {
  return ["--import", "tsx", join(ROOT, "pipelines", `${name}.ts`), ...args];
}

/**
 * `node --import tsx pipelines/<name>.ts ...args` as a child process, awaited without blocking the
 * test runner's event loop: a spawnSync of a minute (a loaded machine) starves vitest's worker RPC,
 * whose calls time out after 60 s and fail the run with an unhandled error.
 */
export function runPipeline(name: string, args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  const child = spawn(process.execPath, pipelineArgv(name, args), { cwd: ROOT, env: { ...process.env, ...env } });
  let stdout = "", stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  return new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
}

/** Starts a pipeline and SIGKILLs it as soon as `when()` is true (polled every 20 ms). */
export async function runAndKill(name: string, args: string[], when: () => boolean, timeoutMs = 120_000): Promise<{ killed: boolean; code: number | null }> {
  const child = spawn(process.execPath, pipelineArgv(name, args), { cwd: ROOT, stdio: "ignore" });
  const t0 = Date.now();
  return new Promise((resolve) => {
    let killed = false;
    const timer = setInterval(() => {
      if (!killed && (when() || Date.now() - t0 > timeoutMs)) {
        killed = child.kill("SIGKILL");
      }
    }, 20);
    child.on("exit", (code) => {
      clearInterval(timer);
      resolve({ killed, code });
    });
  });
}

/** sha256 of every file under dir (relative path → hash), hidden work files excluded. */
export function treeHashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  const walk = (d: string, rel: string): void => {
    for (const f of readdirSync(d).sort()) {
      if (f.startsWith(".")) continue;
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p, rel + f + "/");
      else out[rel + f] = sha256(readFileSync(p));
    }
  };
  walk(dir, "");
  return out;
}
