/**
 * Shared command-line handling for the pipelines: yargs with `--config` and dot-notation
 * overrides of any config key (`--folds.k 3`), `--help`, and one-line errors.
 */
import yargs, { type Argv } from "yargs";
import { hideBin } from "yargs/helpers";
import { basename, resolve } from "node:path";
import { loadConfig, type Config } from "./config.js";
import { exitOnError } from "./util/errors.js";
import { ModelLineup } from "./registry/lineup.js";
import { fmtSecs, info } from "./util/progress.js";
import { peakRssMB } from "./util/peakRss.js";

const RESERVED = new Set(["_", "$0", "config", "help", "version", "oof", "test", "wait", "queue"]);

/** Flags that are not config overrides, kept apart from the config merge. */
export type Extra = Record<string, unknown>;

/** Parses argv, loads the config with every other flag as an override. */
export async function parseCommand(name: string, describe: string, extend: (y: Argv) => Argv = (y) => y): Promise<{ cfg: Config; argv: Extra }> {
  const y = extend(
    yargs(hideBin(process.argv))
      .scriptName(`npm run ${name} --`)
      .usage(`$0 [options]\n\n${describe}\n\nAny config key can be overridden: --folds.k 3 --backbone.maxLength 128 --out DIR`)
      .option("config", { type: "string", default: "ensemble.config.json", describe: "path to ensemble.config.json" })
      .option("out", { type: "string", describe: "run folder (default runs/<name> beside the config)" })
      .option("wait", { type: "boolean", default: false, describe: "features, oof, blend, demo: if another run is using the run folder, wait for it to finish instead of stopping" })
      .option("queue", { type: "string", describe: "features, oof, blend, demo: run the feature chunks and fold jobs on the workers of this queue (redis://HOST:PORT or rediss://; `npx poolblend worker`), default $POOLBLEND_QUEUE; without it, in this process" })
      .parserConfiguration({ "dot-notation": true, "parse-numbers": true, "camel-case-expansion": false })
      .strict(false)
      .help()
      .version(false),
  );
  const argv = (await y.parseAsync()) as Extra;
  const overrides: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(argv)) if (!RESERVED.has(k) && v !== undefined) overrides[k] = v;
  if (typeof overrides.out === "string") overrides.out = resolve(overrides.out as string);
  const cfg = loadConfig(resolve(String(argv.config)), overrides);
  // every model family's options and every listed model checked before any work
  await ModelLineup.load(cfg);
  return { cfg, argv };
}

/** The commands that read the default model or the bundled data (not prepare-model, not setup). */
const SETUP_FIRST = new Set(["features", "oof", "blend", "report", "demo", "bench", "worker"]);

/**
 * Runs a pipeline's main, turning errors into a one-line message and exit code. The commands in
 * SETUP_FIRST first build whatever of the default model and the bundled data is missing (src/setup.ts:
 * the first run after a clone; otherwise a few stats), except when asked only for their --help.
 * A finished run ends with its wall time and peak resident memory (worker threads included) on
 * stderr: the figure to check against a Kaggle notebook's memory limit.
 */
export function main(fn: () => Promise<void>): void {
  const t0 = performance.now();
  const cmd = basename(process.argv[1] ?? "poolblend", ".ts");
  const setupFirst = SETUP_FIRST.has(cmd) && !process.argv.includes("--help");
  (setupFirst ? import("./setup.js").then((s) => s.ensureSetup()).then(fn) : fn()).then(
    () => {
      info(`${cmd}: finished in ${fmtSecs((performance.now() - t0) / 1000)}, peak RSS ${peakRssMB().toFixed(0)} MB`);
      process.exit(0);
    },
    (e) => exitOnError(e),
  );
}
