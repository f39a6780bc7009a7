/** Append-only typed arrays for the counting passes (doubling, then trimmed into shared memory). */

export class IntVec {
  data: Int32Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Int32Array(capacity);
  }
  push(v: number): void {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length++] = v;
  }
  grow(min: number): void {
    const next = new Int32Array(Math.max(min, this.data.length * 2));
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
}

export class ByteVec {
  data: Uint8Array;
  length = 0;
  constructor(capacity = 1 << 16) {
    this.data = new Uint8Array(capacity);
  }
  /** Room for `k` more bytes. */
  reserve(k: number): void {
    if (this.length + k <= this.data.length) return;
    const next = new Uint8Array(Math.max(this.length + k, Math.ceil(this.data.length * 1.5)));
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
}

/** A copy of `src` in a SharedArrayBuffer, so worker threads receive it without copying. */
export function shared<T extends Int32Array | Uint32Array | Uint8Array | Float64Array>(src: T): T {
  const Ctor = src.constructor as new (b: SharedArrayBuffer) => T;
  const out = new Ctor(new SharedArrayBuffer(src.byteLength));
  (out as unknown as { set(a: T): void }).set(src);
  return out;
}
