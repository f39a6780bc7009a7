#!/usr/bin/env node
/**
 * `npx poolblend <command> [options]`: the npm scripts as one command-line tool. Each command
 * runs exactly what `npm run <command> --` runs (`node --import tsx pipelines/<command>.ts`),
 * so flags, help, output and exit codes are the same.
 *
 * Plain JavaScript on purpose: this file runs before tsx is loaded.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { constants } from "node:os";
import { fileURLToPath } from "node:url";

/** The npm scripts that run a pipeline (package.json `scripts`), with what each does. */
const COMMANDS = {
  features: "one backbone pass over train+test: runs/<name>/features/",
  oof: "features (cached), then K-fold training of every head: runs/<name>/oof/, test/, scores.json",
  blend: "blend weights on OOF, nested-CV score: submissions/<name>.csv, runs/<name>/blend.json",
  report: "runs/<name>/report.html from a finished run",
  "prepare-model": "bring your own BERT-family model: --from SRC --out models/NAME",
  demo: "the whole job on the bundled default competition",
  bench: "the benchmark: bench/results.json",
  worker: "run feature chunks and fold jobs from a queue: --queue redis://HOST:PORT (features/oof/blend/demo --queue URL fill it)",
};

function usage() {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([c, what]) => `  ${c.padEnd(width)}  ${what}`);
  return [
    "Usage: npx poolblend <command> [options]",
    "",
    "Commands:",
    ...lines,
    "",
    "npx poolblend <command> --help lists a command's options. Any config key can be overridden:",
    "npx poolblend oof --config ensemble.config.json --folds.k 3 --heads mean,attention",
    "",
  ].join("\n");
}

const [command, ...args] = process.argv.slice(2);

if (command === undefined || command === "--help" || command === "-h" || command === "help") {
  // asked for help: stdout and success; no command at all: an incomplete call
  (command === undefined ? process.stderr : process.stdout).write(usage());
  process.exit(command === undefined ? 1 : 0);
}
if (command === "--version" || command === "-v") {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  process.stdout.write(`${pkg.version}\n`);
  process.exit(0);
}
if (!Object.hasOwn(COMMANDS, command)) {
  // exit 2 like every other mistake in the user's input (see src/util/errors.ts)
  process.stderr.write(`poolblend: unknown command "${command}"; the commands: ${Object.keys(COMMANDS).join(", ")}\n`);
  process.exit(2);
}

// tsx resolved from this file, not from the working directory, so the command works from any folder
let tsx;
try {
  tsx = import.meta.resolve("tsx");
} catch {
  process.stderr.write("poolblend: the tsx package is missing: run npm install in the poolblend folder\n");
  process.exit(1);
}
const script = fileURLToPath(new URL(`./${command}.ts`, import.meta.url));
const child = spawn(process.execPath, ["--import", tsx, script, ...args], { stdio: "inherit" });

// A signal sent to this process alone (kill, a job runner's timeout) must stop the pipeline too.
// Ctrl-C reaches both already (one process group), so the pipeline may get SIGINT twice, as it
// does under `npm run`, which forwards signals the same way.
const FORWARDED = process.platform === "win32" ? ["SIGINT", "SIGTERM", "SIGHUP"] : ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"];
const forward = (sig) => {
  if (child.exitCode === null && child.signalCode === null) child.kill(sig);
};
for (const sig of FORWARDED) process.on(sig, forward);

child.on("error", (e) => {
  process.stderr.write(`poolblend: cannot start ${command}: ${e.message}\n`);
  process.exit(1);
});
child.on("exit", (code, signal) => {
  if (signal !== null) {
    // die of the same signal, so that a shell or job runner sees what the user would see
    for (const sig of FORWARDED) process.off(sig, forward);
    process.kill(process.pid, signal);
    // should the signal not end this process, exit with the code a shell reports for it
    setTimeout(() => process.exit(128 + (constants.signals[signal] ?? 0)), 1000);
    return;
  }
  process.exit(code ?? 1);
});
