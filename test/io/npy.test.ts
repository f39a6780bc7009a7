import { describe, it, expect } from "vitest";
import { mkdtempSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { skipUnless, unavailable } from "../helpers/skips.js";
import { bytesOf, readNpy, readNpyRows, NpyWriter, npyHeader, type NpyArray, type NpyDtype } from "../../src/io/npy.js";

/** A whole array as `.npy` bytes in memory: the one-shot counterpart of NpyWriter. */
function npyBytes(dtype: NpyDtype, shape: readonly number[], data: NpyArray): Buffer {
  return Buffer.concat([npyHeader(dtype, shape), bytesOf(data)]);
}

const tmp = mkdtempSync(join(tmpdir(), "pb-npy-"));

describe("npy", () => {
  it("headers are 64-byte aligned and say the shape", () => {
    const h = npyHeader("<f4", [3, 7, 384]);
    expect(h.length % 64).toBe(0);
    expect(h.toString("latin1")).toContain("'shape': (3, 7, 384)");
    expect(npyHeader("<i8", [5]).toString("latin1")).toContain("'shape': (5,)");
  });

  it("streamed writes equal one-shot bytes and read back", () => {
    const data = Float32Array.from({ length: 12 }, (_, i) => i * 0.5 - 3);
    const f = join(tmp, "a.npy");
    const w = new NpyWriter(f, "<f4", [4, 3], 16);
    for (let r = 0; r < 4; r++) w.write(data.subarray(r * 3, r * 3 + 3));
    w.close();
    expect(readFileSync(f).equals(npyBytes("<f4", [4, 3], data))).toBe(true);
    expect(Array.from(readNpy(f).data as Float32Array)).toEqual(Array.from(data));
    expect(Array.from(readNpyRows(f, 1, 3).data as Float32Array)).toEqual(Array.from(data.subarray(3, 9)));
  });

  it("a short write is an error, not a silently short file", () => {
    const w = new NpyWriter(join(tmp, "short.npy"), "<f4", [2, 2]);
    w.write(new Float32Array(3));
    expect(() => w.close()).toThrow(/wrote 12 bytes, shape needs 16/);
  });

  it("numpy.load reads every dtype", (ctx) => {
    skipUnless(ctx, unavailable.numpy());
    writeFileSync(join(tmp, "f4.npy"), npyBytes("<f4", [2, 2], Float32Array.from([1, 2, 3, 4.5])));
    writeFileSync(join(tmp, "f2.npy"), npyBytes("<f2", [3], Uint16Array.from([0x3c00, 0xc000, 0x3555])));
    writeFileSync(join(tmp, "i8.npy"), npyBytes("<i8", [3], BigInt64Array.from([0n, 5n, 1n << 40n])));
    const out = execFileSync("python3", ["-c", `import numpy as np\nfor n in ['f4','f2','i8']:\n  a=np.load('${tmp}/'+n+'.npy'); print(a.dtype, a.shape, a.ravel().tolist())`]).toString();
    expect(out).toBe("float32 (2, 2) [1.0, 2.0, 3.0, 4.5]\nfloat16 (3,) [1.0, -2.0, 0.333251953125]\nint64 (3,) [0, 5, 1099511627776]\n");
  });
});
