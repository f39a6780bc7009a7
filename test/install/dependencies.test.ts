/**
 * Every package in package.json earns its place: every user installs it. A package is used when
 * a source file imports or resolves it, reads its files (data and weights packages, found with
 * `packageDir`), or an npm script runs its command; `@types/X` is used when X is (`@types/node`
 * when tsconfig asks for Node's types). And nothing is imported that package.json does not declare.
 */
import { describe, it, expect } from "vitest";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, relative } from "node:path";
import { ROOT } from "../helpers/run.js";
import { PKG } from "./userShell.js";

const SOURCE_DIRS = ["src", "pipelines", "test"];
const SOURCE_EXT = /\.(ts|mts|cts|js|mjs|cjs)$/;
/** Module specifiers: import/export … from, bare import, import(), require(), require.resolve(), import.meta.resolve() */
const SPECIFIER = [/\bfrom\s*["']([^"'\n]+)["']/g, /\bimport\s*["']([^"'\n]+)["']/g, /\bimport\s*\(\s*["']([^"'\n]+)["']\s*\)/g, /\brequire\s*\(\s*["']([^"'\n]+)["']\s*\)/g, /\.resolve\s*\(\s*["']([^"'\n]+)["']/g];
/** An npm package name, optionally followed by a path inside the package. */
const BARE = /^((?:@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*)(?:\/.*)?$/;

function sourceFiles(): string[] {
  // the top-level configs too: vitest's, and Stryker's, which loads its test-runner plugin
  const out = readdirSync(ROOT).filter((f) => /\.config\.(ts|mjs)$/.test(f)).map((f) => join(ROOT, f));
  const walk = (d: string): void => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (SOURCE_EXT.test(f)) out.push(p);
    }
  };
  for (const d of SOURCE_DIRS) walk(join(ROOT, d));
  return out;
}

/** Package name → the files that import or resolve it. */
function imports(files: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    for (const re of SPECIFIER) {
      for (const m of text.matchAll(re)) {
        const spec = m[1]!;
        if (spec.startsWith("node:") || builtinModules.includes(spec.split("/")[0]!)) continue;
        const name = BARE.exec(spec)?.[1];
        if (name !== undefined) out.set(name, [...(out.get(name) ?? []), relative(ROOT, file)]);
      }
    }
  }
  return out;
}

/** Packages whose folder a source file locates by name to read files from it (`packageDir`). */
function packageFolderUses(files: string[], names: string[]): Set<string> {
  const out = new Set<string>();
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    if (!text.includes("packageDir(")) continue;
    for (const n of names) if (text.includes(`"${n}"`) || text.includes(`'${n}'`)) out.add(n);
  }
  return out;
}

/** Packages an npm script runs: a command from a package's `bin`, or `node --import <package>`. */
function scriptUses(names: string[]): Set<string> {
  const out = new Set<string>();
  const words = Object.values(PKG.scripts).flatMap((s) => s.split(/&&|\|\||;|\|/).map((c) => c.trim().split(/\s+/)));
  const commands = new Set(words.map((w) => w.find((x) => !/^\w+=/.test(x))));
  for (const w of words) w.forEach((x, i) => x === "--import" && w[i + 1] && commands.add(`--import ${w[i + 1]}`));
  for (const n of names) {
    if (commands.has(`--import ${n}`)) out.add(n);
    const manifest = join(ROOT, "node_modules", n, "package.json");
    if (!existsSync(manifest)) continue;
    const { bin } = JSON.parse(readFileSync(manifest, "utf8")) as { bin?: string | Record<string, string> };
    const bins = typeof bin === "string" ? [n.split("/").pop()!] : Object.keys(bin ?? {});
    if (bins.some((b) => commands.has(b))) out.add(n);
  }
  return out;
}

describe("package.json", () => {
  const declared = [...Object.keys(PKG.dependencies), ...Object.keys(PKG.devDependencies)];
  const files = sourceFiles();
  const imported = imports(files);

  it("declares no package that nothing uses", () => {
    const used = new Set([...imported.keys(), ...packageFolderUses(files, declared), ...scriptUses(declared)]);
    const tsconfig = JSON.parse(readFileSync(join(ROOT, "tsconfig.json"), "utf8")) as { compilerOptions?: { types?: string[] } };
    for (const t of tsconfig.compilerOptions?.types ?? []) used.add(`@types/${t}`);
    for (const n of [...used]) if (!n.startsWith("@types/")) used.add(`@types/${n.replace(/^@([^/]+)\//, "$1__")}`);
    expect(declared.filter((n) => !used.has(n))).toEqual([]);
  });

  it("declares every package a source file imports", () => {
    const missing = [...imported].filter(([n]) => !declared.includes(n)).map(([n, where]) => `${n} (${[...new Set(where)].join(", ")})`);
    expect(missing).toEqual([]);
  });
});
