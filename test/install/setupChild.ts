/** `node --import tsx test/install/setupChild.ts ROOT`: ensureSetup into ROOT in its own process; the result as JSON on stdout. */
import { ensureSetup } from "../../src/setup.js";

const result = await ensureSetup(undefined, { root: process.argv[2]! });
process.stdout.write(JSON.stringify(result) + "\n");
