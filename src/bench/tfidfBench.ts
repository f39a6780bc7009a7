/**
 * Benchmark of the `tfidf` model: vectorise + K-fold OOF with the inner-CV grid on N IMDB reviews,
 * poolblend against scikit-learn's TfidfVectorizer + LogisticRegression with the same options,
 * the same outer and inner folds and the same grid (src/bench/sklearn_tfidf.py, run with
 * /usr/bin/python3). Each side runs in its own child process, one after the other, so that its
 * peak RSS is its own. `npm run bench` calls runTfidfBench and prints tfidfBenchTable.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { imdbRows } from "../data/bundled.js";
import type { FoldTask } from "../heads/types.js";
import { buildCorpus, corpusBytes, train } from "../lexical/model.js";
import { TFIDF_DEFAULTS, type TfidfOptions } from "../lexical/options.js";
import { rowsWhere } from "../util/rows.js";
import { stratifiedFolds } from "../folds/kfold.js";
import { auc } from "../validation/metrics.js";
import { peakRssMB } from "../util/peakRss.js";

export interface TfidfBenchOptions {
  /** IMDB reviews (the first N of the pinned, deduplicated, shuffled set) */
  rows: number;
  workDir: string;
  options?: TfidfOptions;
  k?: number;
  seed?: number;
  python?: string;
}

export interface SideResult {
  seconds: number;
  cpuSeconds: number;
  rowsPerSecond: number;
  cv: number;
  peakRssMB: number;
  /** chosen λ per outer fold */
  lambdas: number[];
  version: string;
  /** poolblend only: shared corpus size and its counting time */
  corpusMB?: number;
  corpusSeconds?: number;
}

export interface TfidfBenchResult {
  rows: number;
  settings: string;
  poolblend: SideResult;
  sklearn: SideResult | { skipped: string };
  /** sklearn seconds / poolblend seconds */
  speedup: number | null;
}

interface Job {
  train: string[][];
  y: number[];
  folds: number[];
  /** per outer fold, the inner fold of each of its training rows (in row order) */
  inner: number[][];
  seeds: number[];
  options: TfidfOptions;
}

const SELF = fileURLToPath(import.meta.url);
const CHILD_FLAG = "--tfidf-bench-child";

/** The job both sides run: texts, labels, poolblend's outer folds and the inner folds of each. */
function makeJob(n: number, k: number, seed: number, options: TfidfOptions): Job {
  const rows = imdbRows().slice(0, n);
  const y = rows.map((r) => r.label);
  const folds = stratifiedFolds(y, k, seed);
  // the OOF runner's job seed: headOptions.seed · 1000 + fold
  const seeds = Array.from({ length: k }, (_, f) => seed * 1000 + f);
  const inner = seeds.map((s, f) => {
    const tr = rowsWhere(folds, (x) => x !== f);
    return Array.from(stratifiedFolds(Int32Array.from(tr, (i) => y[i]), options.innerK, s));
  });
  return { train: rows.map((r) => [r.text]), y, folds: Array.from(folds), inner, seeds, options };
}

/** poolblend's side, inside the child process: corpus once, then every fold. */
async function runPoolblendSide(job: Job): Promise<SideResult> {
  const t0 = performance.now(), cpu0 = process.cpuUsage();
  const corpus = buildCorpus(job.train, [], job.options);
  const corpusSeconds = (performance.now() - t0) / 1000;
  const y = Float64Array.from(job.y), strata = Int32Array.from(job.y), folds = Int32Array.from(job.folds);
  const oof = new Float64Array(y.length);
  const lambdas: number[] = [];
  for (let f = 0; f < job.seeds.length; f++) {
    const t: FoldTask = {
      head: "tfidf" as FoldTask["head"], fold: f, task: "binary", c: 1, y, strata,
      trainIdx: rowsWhere(folds, (x) => x !== f), validIdx: rowsWhere(folds, (x) => x === f),
      seed: job.seeds[f], options: {} as FoldTask["options"], // the tfidf model reads no head options
    };
    const r = await train(corpus, t, job.options);
    t.validIdx.forEach((row, i) => (oof[row] = r.oof[i]));
    lambdas.push((r.info.lambda as number[])[0]);
  }
  const seconds = (performance.now() - t0) / 1000, cpu = process.cpuUsage(cpu0);
  return {
    seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, rowsPerSecond: y.length / seconds, cv: auc(y, oof),
    peakRssMB: peakRssMB(), lambdas, version: `node ${process.versions.node}`,
    corpusMB: corpusBytes(corpus) / 2 ** 20, corpusSeconds,
  };
}

function parseSide(what: string, r: ReturnType<typeof spawnSync>): SideResult {
  const out = String(r.stdout ?? "").trim().split("\n").pop() ?? "";
  if (r.status !== 0 || !out.startsWith("{")) throw new Error(`tfidf bench: ${what} failed (exit ${r.status}): ${String(r.stderr ?? "").slice(-2000)}`);
  return JSON.parse(out) as SideResult;
}

/** Why the scikit-learn line cannot run here, or null when it can. */
function sklearnMissing(python: string): string | null {
  if (!existsSync(python)) return `${python} not found: the scikit-learn line is skipped`;
  const r = spawnSync(python, [join(SELF, "..", "sklearn_tfidf.py"), "--probe"], { encoding: "utf8" });
  return r.status === 0 ? null : `scikit-learn is not importable by ${python}: the scikit-learn line is skipped`;
}

export async function runTfidfBench(o: TfidfBenchOptions): Promise<TfidfBenchResult> {
  const options = o.options ?? TFIDF_DEFAULTS;
  const python = o.python ?? "/usr/bin/python3";
  mkdirSync(o.workDir, { recursive: true });
  const jobFile = resolve(o.workDir, `tfidf-job-${o.rows}.json`);
  writeFileSync(jobFile, JSON.stringify(makeJob(o.rows, o.k ?? 5, o.seed ?? 42, options)));
  const pb = parseSide("poolblend", spawnSync(process.execPath, ["--import", "tsx", SELF, CHILD_FLAG, jobFile], { encoding: "utf8", maxBuffer: 1 << 26 }));
  const missing = sklearnMissing(python);
  const sk = missing ? { skipped: missing } : parseSide("scikit-learn", spawnSync(python, [join(SELF, "..", "sklearn_tfidf.py"), jobFile], { encoding: "utf8", maxBuffer: 1 << 26 }));
  return { rows: o.rows, settings: describe(options), poolblend: pb, sklearn: sk, speedup: "skipped" in sk ? null : sk.seconds / pb.seconds };
}

/** The options in one line (both sides use exactly these). */
function describe(o: TfidfOptions): string {
  const b = (name: string, x: TfidfOptions["word"]): string => (x ? `${name} ${x.ngram.join("-")}-grams minDf ${x.minDf} maxDf ${x.maxDf} maxFeatures ${x.maxFeatures ?? "none"}` : `${name} off`);
  return `${b("word", o.word)}; ${b("char_wb", o.char)}; sublinear tf ${o.sublinearTf}, smooth idf ${o.smoothIdf}, l2 per block; logistic λ ∈ {${o.lambdas.join(", ")}}, ${o.innerK} inner folds, tol ${o.tol}, maxIter ${o.maxIter}`;
}

/** A printable table of one or more runs. */
export function tfidfBenchTable(results: TfidfBenchResult | TfidfBenchResult[]): string {
  const rs = Array.isArray(results) ? results : [results];
  const lines: string[][] = [["rows", "model", "seconds", "CPU s", "rows/s", "CV AUC", "peak RSS MB", "λ per fold"]];
  for (const r of rs) {
    const p = r.poolblend;
    lines.push([String(r.rows), "poolblend tfidf", p.seconds.toFixed(1), p.cpuSeconds.toFixed(1), p.rowsPerSecond.toFixed(1), p.cv.toFixed(5), p.peakRssMB.toFixed(0), p.lambdas.join(" ")]);
    if ("skipped" in r.sklearn) lines.push([String(r.rows), "scikit-learn", "—", "—", "—", "—", "—", r.sklearn.skipped]);
    else {
      const s = r.sklearn;
      lines.push([String(r.rows), `scikit-learn ${s.version}`, s.seconds.toFixed(1), s.cpuSeconds.toFixed(1), s.rowsPerSecond.toFixed(1), s.cv.toFixed(5), s.peakRssMB.toFixed(0), s.lambdas.join(" ")]);
      lines.push([String(r.rows), "speed-up", `${r.speedup!.toFixed(2)}×`, "", "", "", "", ""]);
    }
  }
  const w = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  const fmt = (l: string[]): string => l.map((v, i) => v.padEnd(w[i])).join("  ").trimEnd();
  const notes = [...new Set(rs.map((r) => r.settings))].map((s) => `settings: ${s}`);
  const extra = rs.map((r) => `${r.rows} rows: poolblend corpus ${r.poolblend.corpusMB?.toFixed(1)} MB shared, counted in ${r.poolblend.corpusSeconds?.toFixed(1)} s`);
  return [fmt(lines[0]), fmt(w.map((n) => "-".repeat(n))), ...lines.slice(1).map(fmt), ...notes, ...extra, "scikit-learn runs /usr/bin/python3 src/bench/sklearn_tfidf.py; each side in its own process, one after the other."].join("\n");
}

// child mode: `node --import tsx src/bench/tfidfBench.ts --tfidf-bench-child JOB.json`
if (process.argv[1] && resolve(process.argv[1]) === SELF && process.argv[2] === CHILD_FLAG) {
  const job = JSON.parse(readFileSync(process.argv[3], "utf8")) as Job;
  runPoolblendSide(job).then(
    (r) => console.log(JSON.stringify(r)),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
