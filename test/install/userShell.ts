/** Runs npm and npx the way a user's terminal does, so that what they print is what a user reads. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, type RunResult } from "../helpers/run.js";

export const PKG = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  bin: Record<string, string>;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/**
 * The npm scripts that start a pipeline, e.g. `oof` for `node --import tsx pipelines/oof.ts`: the
 * commands of `npx poolblend`. Not `setup` (`npm run setup`: every pipeline sets up on first use).
 */
export const PIPELINE_SCRIPTS = Object.entries(PKG.scripts)
  .filter(([name, cmd]) => name !== "setup" && /^node --import tsx pipelines\/[\w-]+\.ts$/.test(cmd))
  .map(([name]) => name);

let emptyUserConfig: string | undefined;

/**
 * The test runner's environment without what an outer `npm test` adds (`npm_config_*`,
 * `npm_package_*`, `npm_lifecycle_*`, ...), and with an empty user `.npmrc`: the warnings
 * checked are the project's, not those of whoever runs the tests. npx may not install anything
 * (`yes=false`): `poolblend` must come from this folder, never from the registry.
 */
export function userEnv(): NodeJS.ProcessEnv {
  emptyUserConfig ??= join(mkdtempSync(join(tmpdir(), "pb-npmrc-")), ".npmrc");
  writeFileSync(emptyUserConfig, "");
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, npm_config_userconfig: emptyUserConfig, npm_config_update_notifier: "false", npm_config_yes: "false" };
}

/** `npm ...args` or `npx ...args` in the project folder. */
export function runNpm(bin: "npm" | "npx", args: string[]): RunResult {
  const r = spawnSync(bin, args, { cwd: ROOT, env: userEnv(), encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** npm's own warnings (`npm warn ...`; `npm WARN` before npm 9). */
export const NPM_WARN = /^npm warn\b/im;
