/**
 * The one way a test skips: with the reason it cannot run its real part here. The reason is the
 * test's skip note, which the closing report lists (countReporter.ts). Under CI (CI=true) a skip
 * that is not an explicit opt-in fails the test instead: a CI machine must have every external
 * part (.ci/run installs them), or say loudly that it does not.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import type { TestContext } from "vitest";

/** Reasons that start with this are tests a user turns on by choice (too long for every run). */
export const OPT_IN = "opt-in: ";

export const optIn = (how: string): string => OPT_IN + how;

export const inCi = (): boolean => process.env.CI === "true";

/** Skips the test when `missing` (a reason) is given; under CI a reason that is not an opt-in fails it. */
export function skipUnless(ctx: TestContext, missing: string | null): void {
  if (missing === null) return;
  if (inCi() && !missing.startsWith(OPT_IN)) throw new Error(`CI must run this test, but it cannot run here: ${missing}`);
  ctx.skip(missing);
}

/** Null when the command succeeds; else what it said (its first line, or its last: a Python traceback ends with the error). */
function failure(cmd: string, args: string[], line: "first" | "last" = "first"): string | null {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.error) return `${cmd}: ${r.error.message}`;
  const said = (r.stderr || r.stdout).trim().split("\n");
  return r.status === 0 ? null : `\`${[cmd, ...args].join(" ")}\` failed: ${(line === "first" ? said[0] : said.at(-1)) || `exit ${r.status}`}`;
}

export const CHROMIUM = "/usr/bin/chromium";

/** What each external part's absence means, or null when it is there. */
export const unavailable = {
  chromium: (): string | null => (existsSync(CHROMIUM) ? null : `${CHROMIUM} is not installed (Debian package chromium)`),
  numpy: (): string | null => {
    const f = failure("python3", ["-c", "import numpy"], "last");
    return f && `python3 with numpy is not available (Debian package python3-numpy): ${f}`;
  },
  pidNamespace: (): string | null => {
    const f = failure("unshare", ["--pid", "--fork", "true"]);
    return f && `cannot start a process in a new PID namespace (util-linux's unshare, as root): ${f}`;
  },
  linux: (): string | null => (process.platform === "linux" ? null : `Linux only (reads /proc), this is ${process.platform}`),
};

/** Mounts a tmpfs of `size` on `dir`: null when it did (the caller unmounts), else why it could not. */
export function mountTmpfs(dir: string, size: string): string | null {
  const f = failure("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]);
  return f && `cannot mount a tmpfs to fill a disk (needs root, or CAP_SYS_ADMIN in a container): ${f}`;
}
