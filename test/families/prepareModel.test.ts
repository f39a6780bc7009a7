/**
 * `prepare-model` on checkpoints it cannot read fails there, in one line naming the file —
 * never later at `features`: an unknown model_type, missing encoder weights, a tokenizer whose
 * ids do not fit the embedding matrix, a tokenizer without the family's special tokens.
 */
import { describe, it, expect } from "vitest";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { importModel } from "../../src/backbone/importModel.js";
import { FIXTURES } from "./fixtures.js";

/** A copy of a fixture checkpoint to break. */
function copyOf(name: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), "pb-bad-")), name);
  cpSync(join(FIXTURES, name), dir, { recursive: true });
  return dir;
}

/** The safetensors file without the tensors `drop` matches (header rewritten, data kept in place). */
function withoutTensors(file: string, drop: RegExp): void {
  const buf = readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString("utf8")) as Record<string, unknown>;
  for (const k of Object.keys(header)) if (drop.test(k)) delete header[k];
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  writeFileSync(file, Buffer.concat([len, h, buf.subarray(8 + n)]));
}

const out = (): string => join(mkdtempSync(join(tmpdir(), "pb-out-")), "model");

describe("prepare-model refuses what it cannot read, naming the file", () => {
  it("an unknown model_type", () => {
    const dir = copyOf("roberta");
    const cfg = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...cfg, model_type: "gpt2" }));
    expect(() => importModel(dir, out())).toThrow(new RegExp(`^${join(dir, "config.json")}: model_type "gpt2" is not supported \\(supported: bert, roberta, xlm-roberta, electra`));
  });

  it("missing encoder weights", () => {
    const dir = copyOf("electra");
    withoutTensors(join(dir, "model.safetensors"), /encoder\.layer\.1\.output\.dense\.weight$/);
    expect(() => importModel(dir, out())).toThrow(`${join(dir, "model.safetensors")}: tensor electra.encoder.layer.1.output.dense.weight missing (needed by the electra encoder)`);
  });

  it("a weights file holding no encoder of the family", () => {
    const dir = copyOf("roberta");
    withoutTensors(join(dir, "model.safetensors"), /^roberta\./);
    expect(() => importModel(dir, out())).toThrow(`${join(dir, "model.safetensors")}: no roberta encoder tensors (embeddings.word_embeddings.weight missing)`);
  });

  it("no weights file, and no config.json", () => {
    const dir = copyOf("roberta");
    rmSync(join(dir, "model.safetensors"));
    expect(() => importModel(dir, out())).toThrow(`${dir}: expected one .safetensors file with the weights, found 0`);
    rmSync(join(dir, "config.json"));
    expect(() => importModel(dir, out())).toThrow(`${join(dir, "config.json")}: not found`);
  });

  it("a tokenizer whose vocabulary does not fit the embedding matrix", () => {
    const dir = copyOf("electra");
    cpSync(join(FIXTURES, "roberta", "tokenizer.json"), join(dir, "tokenizer.json"));
    expect(() => importModel(dir, out())).toThrow(`${join(dir, "tokenizer.json")}: the tokenizer's ids run to 399, but ${join(dir, "model.safetensors")} embeds only 342 tokens: tokenizer and weights do not belong together`);
  });

  it("a tokenizer without the family's special tokens", () => {
    const dir = copyOf("electra");
    cpSync(join(FIXTURES, "xlm-roberta", "tokenizer.json"), join(dir, "tokenizer.json"));
    expect(() => importModel(dir, out())).toThrow(`${join(dir, "tokenizer.json")}: no [CLS] token, which this model family's rows start or end with`);
  });

  it("the command exits 2 with that one line, and writes nothing", async () => {
    const dir = copyOf("electra");
    withoutTensors(join(dir, "model.safetensors"), /embeddings_project/);
    const target = out();
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const p = spawn(process.execPath, ["--import", "tsx", "pipelines/prepare-model.ts", "--from", dir, "--out", target], { cwd: join(import.meta.dirname, "../..") });
      let stderr = "";
      p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      p.on("close", (code) => resolve({ code, stderr }));
    });
    expect(r.code).toBe(2);
    expect(existsSync(target)).toBe(false);
    expect(r.stderr).toBe(`poolblend: ${join(dir, "model.safetensors")}: tensor electra.embeddings_project.weight missing (needed by the electra encoder)\n`);
  });
});
