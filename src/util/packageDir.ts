import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Folder of an installed npm package, found by walking up `node_modules` from this file —
 * `require.resolve` cannot be used for packages whose `exports` hide package.json.
 */
export function packageDir(name: string): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const cand = join(dir, "node_modules", name);
    if (existsSync(join(cand, "package.json"))) return cand;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}
