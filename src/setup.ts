/**
 * First-use set-up. `npm install` runs no install script (the project `.npmrc` sets
 * `ignore-scripts=true`; README "Set-up" says why), so the default model, its int8 variant and the
 * bundled competitions are built by the first command that needs them: `main()` in src/cli.ts
 * calls `ensureSetup` before features, oof, blend, report, demo and bench, and `npm run setup`
 * calls it on its own.
 *
 * Each part has a marker that its builder writes last: `poolblend-model.json` in a model folder,
 * `.stamp` in `data/`. The everyday check trusts the marker (graph version, variant, pinned source
 * hashes) and the presence of the files: a few stats and one small JSON read per part, no hashing
 * (`npm run setup` hashes every model file against its card and the pinned hashes). A part that
 * fails the check loses its marker before it is rebuilt, so a build cut short (killed, disk full)
 * is never taken for done. Builds run under a lock (`.cache/setup/.lock`, the run lock of
 * src/util/lock.ts: a dead holder is taken over), so two commands started at once on a fresh clone
 * build once: the second waits, checks again and finds everything there.
 */
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "./config.js";
import { DEFAULT_WEIGHTS, GRAPH_VERSION, WEIGHTS_FILE, prepareDefaultModel, type ModelCard } from "./backbone/prepareModel.js";
import { buildBundledData } from "./data/bundled.js";
import { lockRunDir } from "./util/lock.js";
import { sha256File } from "./util/hash.js";
import { UserError } from "./util/errors.js";

export interface SetupOptions {
  /** The poolblend folder (default: this checkout); tests build into a temporary one. */
  root?: string;
  /** Also hash every model file against its card and the pinned weights (`npm run setup`). */
  verify?: boolean;
}

export interface SetupResult {
  /** The parts built by this call, e.g. `models/minilm-l6`. */
  built: string[];
  /** The parts that were already there. */
  current: string[];
}

type State = "ok" | "missing" | "outdated";

interface Part {
  /** Path relative to the poolblend folder, as messages show it. */
  name: string;
  /** Rough build time on two cores, for the message. */
  secs: number;
  /** Written last by the builder: without it the part is not done. */
  marker: string;
  state(verify: boolean): State;
  build(): void;
}

/** The model card: the marker of a model folder. */
const CARD = "poolblend-model.json";

/** Files of a model folder copied from the weights package, with the pinned file each copies. */
const COPIES: Record<string, keyof typeof DEFAULT_WEIGHTS.files> = {
  "tokenizer.json": "model/tokenizer.json",
  "config.json": "model/config.json",
  [WEIGHTS_FILE]: "model/model.fp16.safetensors",
};

/** The bundled competitions and their files (src/data/bundled.ts). */
const COMPETITIONS = ["sentiment", "sentiment-source", "sotu", "sotu-president"];
const COMPETITION_FILES = ["train.csv", "test.csv", "sample_submission.csv", "test_labels.csv"];

/** The parts `ensureSetup` keeps built under `root`, in build order. */
export function setupParts(root: string = PROJECT_ROOT): Part[] {
  const model = (name: string, variant: "fp32" | "int8", secs: number): Part => {
    const dir = join(root, name);
    return {
      name,
      secs,
      marker: join(dir, CARD),
      state: (verify) => modelState(dir, variant, verify),
      build: () => void prepareDefaultModel(dir, () => {}, variant),
    };
  };
  const dataDir = join(root, "data");
  return [
    model("models/minilm-l6", "fp32", 1),
    // optional lossy variant: dense layers in int8 (backbone.model = "models/minilm-l6-int8")
    model("models/minilm-l6-int8", "int8", 3),
    {
      name: "data",
      secs: 1,
      marker: join(dataDir, ".stamp"),
      state: () => {
        if (!existsSync(join(dataDir, ".stamp"))) return "missing";
        return COMPETITIONS.every((c) => COMPETITION_FILES.every((f) => nonEmpty(join(dataDir, c, f)))) ? "ok" : "outdated";
      },
      build: () => buildBundledData(dataDir),
    },
  ];
}

function nonEmpty(file: string): boolean {
  const st = statSync(file, { throwIfNoEntry: false });
  return st !== undefined && st.isFile() && st.size > 0;
}

function modelState(dir: string, variant: "fp32" | "int8", verify: boolean): State {
  let card: ModelCard;
  try {
    card = JSON.parse(readFileSync(join(dir, CARD), "utf8")) as ModelCard;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ENOENT" ? "missing" : "outdated";
  }
  const pinned = Object.entries(DEFAULT_WEIGHTS.files);
  const current =
    typeof card === "object" &&
    card !== null &&
    card.graphVersion === GRAPH_VERSION &&
    (card.variant ?? "fp32") === variant &&
    Object.keys(card.sourceHashes ?? {}).length === pinned.length &&
    pinned.every(([f, h]) => card.sourceHashes[f] === h) &&
    ["model.onnx", ...Object.keys(COPIES)].every((f) => nonEmpty(join(dir, f)));
  if (!current) return "outdated";
  if (verify) {
    if (sha256File(join(dir, "model.onnx")) !== card.onnxSha256) return "outdated";
    for (const [f, src] of Object.entries(COPIES)) if (sha256File(join(dir, f)) !== DEFAULT_WEIGHTS.files[src]) return "outdated";
  }
  return "ok";
}

/**
 * Builds whatever of the default model, its int8 variant and the bundled competitions is missing
 * or out of date, saying so in one line (`log`); when all is there it costs a few stats and
 * prints nothing.
 */
export async function ensureSetup(log: (line: string) => void = (s) => void process.stderr.write(s + "\n"), opts: SetupOptions = {}): Promise<SetupResult> {
  const root = opts.root ?? PROJECT_ROOT;
  const verify = opts.verify === true;
  const parts = setupParts(root);
  const built: string[] = [];
  if (parts.some((p) => p.state(verify) !== "ok")) {
    const release = await lockSetup(root, parts, log);
    try {
      // checked again under the lock: a command started at the same time may have built it all
      const states = parts.map((p) => p.state(verify));
      const todo = parts.filter((_, i) => states[i] !== "ok");
      if (todo.length > 0) {
        const why = states.every((s) => s === "missing") ? "first run" : "missing or out of date";
        log(`poolblend: building ${todo.map((p) => p.name).join(", ")} (${why}, ~${todo.reduce((s, p) => s + p.secs, 0)} s)`);
        for (const p of todo) {
          rmSync(p.marker, { force: true }); // not done until the builder writes it again
          p.build();
          built.push(p.name);
        }
      }
    } finally {
      release();
    }
  }
  // data/.stamp is also the data's version: buildBundledData rebuilds when poolblend's differs
  // (after an update), and otherwise returns at once. Its writes are atomic and deterministic.
  buildBundledData(join(root, "data"), (s) => log(`poolblend: ${s}`));
  return { built, current: parts.map((p) => p.name).filter((n) => !built.includes(n)) };
}

/**
 * Takes the set-up lock. While another command holds it (it is building), waits, saying so
 * once; the lock's holder is watched by its heartbeat, so a killed builder is taken over.
 */
async function lockSetup(root: string, parts: Part[], log: (line: string) => void): Promise<() => void> {
  const dir = join(root, ".cache", "setup");
  let said = false;
  for (;;) {
    try {
      return await lockRunDir(dir);
    } catch (e) {
      if (!(e instanceof UserError) || !/is using this run folder/.test(e.message)) throw e;
    }
    if (!said) log(`poolblend: another poolblend command is building ${parts.filter((p) => p.state(false) !== "ok").map((p) => p.name).join(", ") || "the models and data"}; waiting for it`);
    said = true;
  }
}
