/**
 * Open-addressing hash table from short integer tuples (the code points of a character n-gram,
 * or the token ids of a word n-gram) to dense ids in insertion order. Keys are stored exactly, so
 * there are no hash collisions between terms, and no string is allocated per n-gram occurrence.
 */
export class TupleTable {
  /** width × capacity key cells, unused tail cells of a shorter tuple hold -1 */
  private keys: Int32Array;
  private vals: Int32Array;
  private mask: number;
  size = 0;

  constructor(readonly width: number, capacity = 1 << 12) {
    this.keys = new Int32Array(capacity * width);
    this.vals = new Int32Array(capacity).fill(-1);
    this.mask = capacity - 1;
  }

  /** Id of the tuple buf[start .. start+n); a new id when absent and `insert`, else -1. */
  id(buf: Int32Array, start: number, n: number, insert: boolean): number {
    const slot = this.find(buf, start, n);
    const v = this.vals[slot];
    if (v >= 0 || !insert) return v;
    this.place(slot, buf, start, n, this.size);
    const id = this.size++;
    if (this.size * 5 > this.vals.length * 3) this.rehash();
    return id;
  }

  /** The slot holding the tuple, or the empty slot where it would go (linear probing). */
  private find(buf: Int32Array, start: number, n: number): number {
    const w = this.width;
    let h = 0x811c9dc5 ^ n;
    for (let k = 0; k < n; k++) {
      h = Math.imul(h ^ buf[start + k], 0x5bd1e995);
      h ^= h >>> 15;
    }
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
    for (let slot = h & this.mask; ; slot = (slot + 1) & this.mask) {
      if (this.vals[slot] < 0) return slot;
      const o = slot * w;
      let same = true;
      for (let k = 0; k < w && same; k++) same = this.keys[o + k] === (k < n ? buf[start + k] : -1);
      if (same) return slot;
    }
  }

  private place(slot: number, buf: Int32Array, start: number, n: number, id: number): void {
    const o = slot * this.width;
    for (let k = 0; k < this.width; k++) this.keys[o + k] = k < n ? buf[start + k] : -1;
    this.vals[slot] = id;
  }

  /** Maps ids back to their tuples (one scan of the table; used once, for the kept terms). */
  tuples(): (id: number) => Int32Array {
    const slotOf = new Int32Array(this.size);
    for (let s = 0; s < this.vals.length; s++) if (this.vals[s] >= 0) slotOf[this.vals[s]] = s;
    const w = this.width;
    return (id) => {
      const o = slotOf[id] * w;
      let n = w;
      while (n > 0 && this.keys[o + n - 1] === -1) n--;
      return this.keys.slice(o, o + n);
    };
  }

  private rehash(): void {
    const oldKeys = this.keys, oldVals = this.vals, w = this.width;
    const cap = oldVals.length * 2;
    this.keys = new Int32Array(cap * w);
    this.vals = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    for (let s = 0; s < oldVals.length; s++) {
      if (oldVals[s] < 0) continue;
      let n = w;
      while (n > 0 && oldKeys[s * w + n - 1] === -1) n--;
      this.place(this.find(oldKeys, s * w, n), oldKeys, s * w, n, oldVals[s]);
    }
  }
}
