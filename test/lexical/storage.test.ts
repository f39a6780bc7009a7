/**
 * The corpus's storage pieces against plain JavaScript equivalents: the varint/overflow document
 * encoding round-trips random sparse rows (ids up to 2^21, counts up to 1000), the n-gram hash
 * table gives the same dense ids as a Map of joined keys through several rehashes, and the
 * growable vectors keep every pushed value.
 */
import { describe, it, expect } from "vitest";
import { BlockWriter, blockBytes, countAt, decodeRow, type EncodedBlock } from "../../src/lexical/csr.js";
import { TupleTable } from "../../src/lexical/tupleTable.js";
import { ByteVec, IntVec, shared } from "../../src/lexical/growable.js";
import { mulberry32 } from "../../src/util/random.js";

/** Random documents: sorted distinct ids (gaps of 1 to 2^21), counts mostly small, some ≥ 255. */
function randomDocs(count: number, seed: number): { ids: number[]; cnt: number[] }[] {
  const r = mulberry32(seed);
  return Array.from({ length: count }, (_, d) => {
    const n = d % 7 === 0 ? 0 : 1 + Math.floor(r() * 30);
    const ids: number[] = [];
    let id = -1;
    for (let e = 0; e < n; e++) {
      const scale = [1, 127, 128, 16384, 1 << 21][Math.floor(r() * 5)];
      id += 1 + Math.floor(r() * scale);
      ids.push(id);
    }
    const cnt = ids.map(() => (r() < 0.15 ? 254 + Math.floor(r() * 800) : 1 + Math.floor(r() * 20)));
    return { ids, cnt };
  });
}

function write(docs: { ids: number[]; cnt: number[] }[]): EncodedBlock {
  const w = new BlockWriter();
  for (const d of docs) w.add(Int32Array.from(d.ids), d.cnt, d.ids.length);
  return w.finish("word", 1 << 30, Int32Array.from([2, 0, 1]), 3, 4.5);
}

describe("encoded block", () => {
  it("every document decodes to its ids and counts; pointers, overflow table and sizes agree", () => {
    const docs = randomDocs(300, 8);
    const b = write(docs);
    const maxNnz = Math.max(...docs.map((d) => d.ids.length));
    expect(b.maxRowNnz).toBe(maxNnz);
    const ids = new Int32Array(maxNnz), cnt = new Int32Array(maxNnz);
    docs.forEach((d, i) => {
      const n = decodeRow(b, i, ids, cnt);
      expect(n).toBe(d.ids.length);
      expect(Array.from(ids.subarray(0, n))).toEqual(d.ids);
      expect(Array.from(cnt.subarray(0, n))).toEqual(d.cnt);
    });
    const all = docs.flatMap((d) => d.cnt);
    expect(b.entryPtr.length).toBe(docs.length + 1);
    expect(b.entryPtr[docs.length]).toBe(all.length);
    expect(Array.from(b.counts)).toEqual(all.map((k) => Math.min(k, 255)));
    expect(Array.from(b.overflowAt)).toEqual(all.flatMap((k, e) => (k >= 255 ? [e] : [])));
    expect(Array.from(b.overflowCount)).toEqual(all.filter((k) => k >= 255));
    // varint bytes: 1 per 7 bits of each gap
    const bytes = docs.flatMap((d) => d.ids.map((id, e) => id - (e ? d.ids[e - 1] : -1))).reduce((s, g) => s + Math.max(1, Math.ceil(Math.log2(g + 1) / 7)), 0);
    expect(b.gaps.length).toBe(bytes);
    expect(b.bytePtr[docs.length]).toBe(bytes);
    expect([b.kind, b.nTerms, Array.from(b.rank), b.capped, b.maxCappedTf]).toEqual(["word", 1 << 30, [2, 0, 1], 3, 4.5]);
    expect(blockBytes(b)).toBe(4 * (2 * (docs.length + 1)) + bytes + all.length + 4 * 2 * b.overflowAt.length + 4 * 3);
    for (const a of [b.bytePtr, b.entryPtr, b.gaps, b.counts, b.overflowAt, b.overflowCount, b.rank]) expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it("gap boundaries: 127 is one byte, 128 two, 16383 two, 16384 three", () => {
    const b = write([{ ids: [126], cnt: [1] }, { ids: [127], cnt: [1] }, { ids: [16382], cnt: [1] }, { ids: [16383], cnt: [1] }]);
    expect(Array.from(b.bytePtr)).toEqual([0, 1, 3, 5, 8]);
    expect(Array.from(b.gaps)).toEqual([127, 128, 1, 255, 127, 128, 128, 1]);
  });

  it("counts 254, 255, 256 at the overflow edge; the table answers only for the byte 255", () => {
    const b = write([{ ids: [0, 1, 2], cnt: [254, 255, 256] }, { ids: [5], cnt: [300] }]);
    expect(Array.from(b.counts)).toEqual([254, 255, 255, 255]);
    expect(Array.from(b.overflowAt)).toEqual([1, 2, 3]);
    expect([0, 1, 2, 3].map((e) => countAt(b, e, b.counts[e]))).toEqual([254, 255, 256, 300]);
    expect(countAt(b, 2, 7)).toBe(7);
  });
});

describe("tuple table", () => {
  it("dense ids in insertion order, as a Map of the joined tuple would give, through rehashes", () => {
    const r = mulberry32(2);
    const width = 3;
    const t = new TupleTable(width, 4);
    const ref = new Map<string, number>();
    const buf = new Int32Array(width + 2);
    for (let i = 0; i < 5000; i++) {
      const n = 1 + Math.floor(r() * width);
      const start = Math.floor(r() * 2);
      for (let k = 0; k < n; k++) buf[start + k] = Math.floor(r() * 12); // code points and token ids: never negative
      const key = Array.from(buf.subarray(start, start + n)).join(",");
      const insert = r() < 0.8;
      const want = ref.get(key) ?? (insert ? ref.size : -1);
      if (insert && !ref.has(key)) ref.set(key, ref.size);
      expect(t.id(buf, start, n, insert)).toBe(want);
    }
    expect(t.size).toBe(ref.size);
    const tuple = t.tuples();
    for (const [key, id] of ref) expect(Array.from(tuple(id)).join(","), key).toBe(key);
  });

  it("a shorter tuple is not a prefix match of a longer one", () => {
    const t = new TupleTable(2);
    expect(t.id(Int32Array.from([7, 8]), 0, 2, true)).toBe(0);
    expect(t.id(Int32Array.from([7]), 0, 1, false)).toBe(-1);
    expect(t.id(Int32Array.from([7]), 0, 1, true)).toBe(1);
    expect(t.id(Int32Array.from([9, 7, 8]), 1, 2, false)).toBe(0);
    expect(Array.from(t.tuples()(1))).toEqual([7]);
  });
});

describe("growable vectors", () => {
  it("IntVec keeps every value across doublings, from capacity 1", () => {
    const v = new IntVec(1);
    for (let i = 0; i < 1000; i++) v.push(i * 3 - 500);
    expect(v.length).toBe(1000);
    expect(Array.from(v.data.subarray(0, 1000))).toEqual(Array.from({ length: 1000 }, (_, i) => i * 3 - 500));
    expect(v.data.length).toBe(1024);
    v.grow(5000);
    expect(v.data.length).toBe(5000);
    expect(v.data[999]).toBe(2497);
  });

  it("ByteVec reserves room and keeps its bytes", () => {
    const b = new ByteVec(4);
    b.reserve(4);
    expect(b.data.length).toBe(4);
    b.data.set([1, 2, 3, 4]);
    b.length = 4;
    b.reserve(1);
    expect(b.data.length).toBe(6);
    b.reserve(10);
    expect(b.data.length).toBe(14);
    expect(Array.from(b.data.subarray(0, 4))).toEqual([1, 2, 3, 4]);
  });

  it("shared copies into a SharedArrayBuffer of the same type", () => {
    const src = Float64Array.from([1.5, -2, 3]);
    const s = shared(src);
    expect(s).toBeInstanceOf(Float64Array);
    expect(s.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from(s)).toEqual([1.5, -2, 3]);
    src[0] = 9;
    expect(s[0]).toBe(1.5);
  });
});
