/**
 * A corpus of hostile inputs, each with its expected outcome: a clear one-line error naming the
 * file, row and column — or correct acceptance with ids and texts intact.
 */
import { describe, it, expect } from "vitest";
import { mkdtempSync, writeFileSync, mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { runPipeline } from "../helpers/run.js";
import { readCsv, formatCsv } from "../../src/io/csv.js";
import { rowHash } from "../../src/features/pass.js";
import { MODEL_DIR } from "../helpers/model.js";

type Files = { train: string | Buffer; test: string | Buffer; sample: string | Buffer };
const SENTENCES = ["Great phone, works well.", "Terrible battery life.", "I love it!", "Worst purchase ever.", "Does what it says.", "Broke after a week.", "Five stars.", "Not worth the money."];

function base(ids = ["000123", "1e5", "NaN", "-0", "a,b", "x\"y", "12.0", "007"]): Files {
  const train = formatCsv(["id", "text", "label"], ids.map((id, i) => [id, SENTENCES[i % 8], i % 2]));
  const test = formatCsv(["id", "text"], [["t1", "Nice."], ["t2", "Bad."]]);
  const sample = formatCsv(["id", "label"], [["t1", 0.5], ["t2", 0.5]]);
  return { train, test, sample };
}

function comp(files: Files, over: Record<string, unknown> = {}): { cfg: string; root: string } {
  const root = mkdtempSync(join(tmpdir(), "pb-hostile-"));
  mkdirSync(join(root, "data"));
  writeFileSync(join(root, "data", "train.csv"), files.train);
  writeFileSync(join(root, "data", "test.csv"), files.test);
  writeFileSync(join(root, "data", "sample_submission.csv"), files.sample);
  const cfg = { name: "h", data: { dir: "data", id: "id", text: ["text"], target: ["label"], group: null }, task: "binary", metric: "auc", folds: { k: 2, seed: 1 }, backbone: { model: MODEL_DIR, maxLength: 32 }, heads: ["mean"], blend: { method: "hillclimb" }, ...over };
  writeFileSync(join(root, "config.json"), JSON.stringify(cfg));
  return { cfg: join(root, "config.json"), root };
}

const edit = (f: Partial<Files>): Files => ({ ...base(), ...f });
const trainOf = (rows: (string | number)[][], header = ["id", "text", "label"]): string => formatCsv(header, rows);

interface Case {
  name: string;
  files: Files;
  over?: Record<string, unknown>;
  /** pipeline to run: features for text problems, oof for target problems, blend for the submission */
  cmd: "features" | "oof" | "blend";
  expect: RegExp | ((root: string) => void);
}

const bad = (name: string, files: Files, cmd: Case["cmd"], re: RegExp, over?: Record<string, unknown>): Case => ({ name, files, cmd, expect: re, over });
const ok = (name: string, files: Files, cmd: Case["cmd"], check: (root: string) => void, over?: Record<string, unknown>): Case => ({ name, files, cmd, expect: check, over });

const idsOf = (root: string): string[] => readCsv(join(root, "runs/h/features/train/ids.csv")).rows.map((r) => r[0]);

const CASES: Case[] = [
  ok("BOM at the start of the file", edit({ train: "\ufeff" + (base().train as string) }), "features", (r) => expect(idsOf(r)[0]).toBe("000123")),
  ok("CRLF line ends", edit({ train: (base().train as string).replaceAll("\n", "\r\n") }), "features", (r) => expect(idsOf(r)).toHaveLength(8)),
  ok("ids 000123, 1e5, NaN, -0, 12.0, 007, with comma and quote, kept byte-exact", base(), "oof", (r) => {
    const want = ["000123", "1e5", "NaN", "-0", "a,b", 'x"y', "12.0", "007"];
    expect(idsOf(r)).toEqual(want);
    expect(readCsv(join(r, "runs/h/oof/mean.csv")).rows.map((x) => x[0])).toEqual(want);
  }),
  ok("quotes, commas and CR/LF newlines inside text fields", edit({ train: trainOf([["1", 'He said "hi",\r\nthen left', 0], ["2", "line1\nline2", 1], ["3", "a", 0], ["4", "b", 1]]) }), "features", (r) => {
    const m = JSON.parse(readFileSync(join(r, "runs/h/features/train/manifest.json"), "utf8")) as { rowHashes: string[] };
    expect(m.rowHashes[0]).toBe(rowHash(['He said "hi",\r\nthen left']));
    expect(m.rowHashes[1]).toBe(rowHash(["line1\nline2"]));
  }),
  ok("emoji, CJK, RTL and combining marks", edit({ train: trainOf([["1", "😀👍🏽 great", 1], ["2", "日本語のテキスト", 0], ["3", "مرحبا بالعالم", 1], ["4", "e\u0301te\u0301", 0]]) }), "features", (r) => expect(idsOf(r)).toHaveLength(4)),
  ok("an empty and a whitespace-only text", edit({ train: trainOf([["1", "", 1], ["2", "   ", 0], ["3", "ok", 1], ["4", "no", 0]]) }), "features", (r) => expect(idsOf(r)).toEqual(["1", "2", "3", "4"])),
  ok("a 1 MB single text (truncated to maxLength)", edit({ train: trainOf([["1", "word ".repeat(210_000), 1], ["2", "short", 0], ["3", "x", 1], ["4", "y", 0]]) }), "features", (r) => {
    const m = JSON.parse(readFileSync(join(r, "runs/h/features/train/manifest.json"), "utf8")) as { tokens: number };
    expect(m.tokens).toBeLessThanOrEqual(32 + 3 + 3 + 3);
  }),
  ok("labels 1 and 1.0 are one class", edit({ train: trainOf(SENTENCES.map((s, i) => [String(i), s, i % 2 ? (i % 4 === 1 ? "1" : "1.0") : "0"])) }), "oof", (r) => expect(readCsv(join(r, "runs/h/oof/mean.csv")).rows).toHaveLength(8)),
  ok("test.csv with extra columns in another order", edit({ test: formatCsv(["extra", "text", "id"], [["q", "Nice.", "t1"], ["r", "Bad.", "t2"]]) }), "features", (r) => expect(readCsv(join(r, "runs/h/features/test/ids.csv")).rows.map((x) => x[0])).toEqual(["t1", "t2"])),
  ok("a class present only in sample_submission (multiclass) gets probability 0 in the submission", {
    train: trainOf(SENTENCES.map((s, i) => [String(i), s, ["a", "b"][i % 2]])),
    test: base().test,
    sample: formatCsv(["id", "a", "b", "c"], [["t1", 0, 0, 0], ["t2", 0, 0, 0]]),
  }, "blend", (r) => {
    // the models predict the classes seen in train; the submission has the sample's columns
    expect(readCsv(join(r, "runs/h/oof/mean.csv")).header).toEqual(["id", "kfold", "a", "b"]);
    const sub = readCsv(join(r, "submissions/h.csv"));
    expect(sub.header).toEqual(["id", "a", "b", "c"]);
    expect(sub.rows.map((x) => x[0])).toEqual(["t1", "t2"]);
    for (const [, a, b, c] of sub.rows) {
      expect(c).toBe("0");
      expect(Number(a) + Number(b)).toBeCloseTo(1, 12);
      expect(Math.min(Number(a), Number(b))).toBeGreaterThan(0);
    }
  }, { task: "multiclass", metric: "logloss" }),
  bad("duplicate header", edit({ train: "id,text,text\n1,a,b\n" }), "features", /train\.csv: row 1, column "text": duplicate column name \(columns 2 and 3\)/),
  bad("duplicate id", edit({ train: trainOf([["7", "a", 0], ["8", "b", 1], ["7", "c", 0]]) }), "features", /train\.csv: row 4, column "id": duplicate id "7" \(first at row 2\)/),
  bad("empty id", edit({ train: trainOf([["7", "a", 0], ["", "b", 1]]) }), "features", /train\.csv: row 3, column "id": empty id/),
  bad("blank target", edit({ train: trainOf([["1", "a", 0], ["2", "b", ""], ["3", "c", 1]]) }), "oof", /train\.csv: row 3, column "label": blank target/),
  bad("NaN target", edit({ train: trainOf([["1", "a", 0], ["2", "b", "NaN"], ["3", "c", 1]]) }), "oof", /train\.csv: row 3, column "label": target "NaN" is not a class label/),
  bad("infinite regression target", edit({ train: trainOf([["1", "a", 0.5], ["2", "b", "inf"], ["3", "c", 1]]) }), "oof", /train\.csv: row 3, column "label": target is not a finite number: "inf"/, { task: "regression", metric: "rmse" }),
  bad("ragged row", edit({ train: "id,text,label\n1,a,0\n2,b\n" }), "features", /train\.csv: row 3, column "label": has 2 fields, header has 3 \(missing value\)/),
  bad("unquoted comma (extra field)", edit({ train: "id,text,label\n1,a, b,0\n" }), "features", /train\.csv: row 2, column "#4": has 4 fields, header has 3 \(extra value: unquoted comma\?\)/),
  bad("unterminated quote", edit({ train: 'id,text,label\n1,"abc,0\n2,d,1\n' }), "features", /train\.csv: row 2, column "text": unterminated quoted field/),
  bad("invalid UTF-8 (Latin-1 bytes)", edit({ test: Buffer.concat([Buffer.from("id,text\nt1,caf"), Buffer.from([0xe9]), Buffer.from("\nt2,x\n")]) }), "features", /test\.csv: row 2, column "text": invalid UTF-8 \(byte offset 14\)/),
  bad("header-only train.csv", edit({ train: "id,text,label\n" }), "features", /train\.csv: row 2: no data rows \(header only\)/),
  bad("empty file", edit({ test: "" }), "features", /test\.csv: file is empty \(no header\)/),
  bad("sample_submission ids that differ from test.csv", edit({ sample: formatCsv(["id", "label"], [["t1", 0.5], ["t3", 0.5]]) }), "oof", /sample_submission\.csv: row 3, column "id": id "t3" is not in test\.csv/),
  bad("sample_submission missing a test id", edit({ sample: formatCsv(["id", "label"], [["t1", 0.5]]) }), "oof", /test\.csv: row 3, column "id": id "t2" is missing from sample_submission\.csv/),
  bad("missing text column in test.csv", edit({ test: formatCsv(["id", "body"], [["t1", "x"]]) }), "features", /test\.csv: row 1, column "text": column not found/),
  bad("a single class", edit({ train: trainOf([["1", "a", 1], ["2", "b", 1], ["3", "c", 1]]) }), "oof", /train\.csv: column "label": only one class \(1\) in the target/),
];

describe("hostile inputs", () => {
  it("the corpus has at least 20 cases", () => expect(CASES.length).toBeGreaterThanOrEqual(20));

  it.each(CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const { cfg, root } = comp(c.files, c.over);
    const r = await runPipeline(c.cmd, ["--config", cfg]);
    if (c.expect instanceof RegExp) {
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(c.expect);
    } else {
      expect(r.stderr).not.toMatch(/poolblend:/);
      expect(r.code).toBe(0);
      c.expect(root);
      // no NaN or Inf reaches any output file
      if (c.cmd !== "features")
        for (const f of ["oof/mean.csv", "test/mean.csv"]) {
          const t = readCsv(join(root, "runs/h", f));
          for (const row of t.rows) for (const v of row.slice(f.startsWith("oof") ? 2 : 1)) expect(Number.isFinite(Number(v)), `${f}: ${v}`).toBe(true);
        }
    }
  });
});

describe("property: random ids and texts survive read → run → write byte-exact", () => {
  it("through a real feature pass and the OOF files", async () => {
    const text = fc.string({ unit: "grapheme", minLength: 0, maxLength: 30 });
    const id = fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(id, { minLength: 6, maxLength: 6 }), fc.array(text, { minLength: 6, maxLength: 6 }), async (ids, texts) => {
        const train = formatCsv(["id", "text", "label"], ids.map((x, i) => [x, texts[i], i % 2]));
        const { cfg, root } = comp({ train, test: base().test, sample: base().sample });
        const r = await runPipeline("oof", ["--config", cfg]);
        expect(r.code).toBe(0);
        expect(readCsv(join(root, "runs/h/oof/mean.csv")).rows.map((x) => x[0])).toEqual(ids);
        const m = JSON.parse(readFileSync(join(root, "runs/h/features/train/manifest.json"), "utf8")) as { rowHashes: string[] };
        expect(m.rowHashes).toEqual(texts.map((t) => rowHash([t])));
      }),
      { numRuns: 3, seed: 7 },
    );
  }, 300_000);
});
