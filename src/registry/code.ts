/**
 * The code a model's results depend on: every source file its trainer module imports, directly or
 * not. Cached fold results are recomputed whenever that code changes — no version to remember to
 * bump — and only then (a change to the attention head leaves the fine-tuned heads' results cached).
 */
import { readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { sha256 } from "../util/hash.js";

/** src/: paths are named relative to it (a family module outside it, e.g. `../families/x.ts`, too). */
const SRC = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Every source file `file` (absolute) imports, directly or not. */
function localImports(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = readFileSync(file, "utf8");
  const dir = dirname(file);
  // type-only imports change no behaviour
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s+(?!type\s)[^;]*?from\s+"(\.{1,2}\/[^"]+)\.[jt]s"/g)) localImports(join(dir, `${m[1]}.ts`), seen);
  for (const m of text.matchAll(/import\("(\.{1,2}\/[^"]+)\.[jt]s"\)/g)) localImports(join(dir, `${m[1]}.ts`), seen);
  return seen;
}

/** The source files (relative to src/, sorted) that the module `trainer` runs. */
export function codeFiles(trainer: URL): string[] {
  return [...localImports(fileURLToPath(trainer))].map((f) => relative(SRC, f)).sort();
}

/** Fingerprint of the code the module `trainer` runs (16 hex digits). */
export function codeFingerprint(trainer: URL): string {
  const files = codeFiles(trainer);
  return sha256(files.map((f) => `${f}\0${readFileSync(join(SRC, f), "utf8")}`).join("\0")).slice(0, 16);
}

/** How jobs of one trainer are grouped for the ETA: the trainer's path relative to src/. */
export function trainerKey(trainer: URL): string {
  return relative(SRC, fileURLToPath(trainer));
}
