/**
 * sentencepiece's normaliser, exactly: the precompiled character map (a Darts double-array trie
 * over UTF-8 bytes, then the NUL-terminated replacement strings) applied by longest match, then
 * its whitespace rules (drop leading spaces, one dummy-prefix "▁", collapse runs, drop trailing,
 * spaces as "▁"). Mirrors `Normalizer::Normalize` and `NormalizePrefix` of google/sentencepiece
 * (src/normalizer.cc). `@huggingface/tokenizers` only approximates the map (NFKC plus a list of
 * whitespace characters), which changes ids on zero-width and compatibility characters.
 */

const SPACE = 0x20;
const META = [0xe2, 0x96, 0x81]; // "▁" U+2581
const REPLACEMENT = [0xef, 0xbf, 0xbd]; // U+FFFD for malformed UTF-8

export interface NormalizerSpec {
  /** the compiled map (empty: identity) */
  charsmap: Uint8Array;
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
  escapeWhitespaces: boolean;
  /** user-defined pieces: kept verbatim by longest match before the map applies */
  userDefined?: readonly string[];
}

/** Length of the valid UTF-8 sequence at `i`, or 0 if malformed. */
function utf8Length(b: Uint8Array, i: number): number {
  const c = b[i];
  const n = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
  if (n === 0 || i + n > b.length) return 0;
  for (let k = 1; k < n; k++) if ((b[i + k] & 0xc0) !== 0x80) return 0;
  return n;
}

export class SpmNormalizer {
  private readonly units: Uint32Array;
  private readonly strings: Uint8Array;
  private readonly user: Uint8Array[];

  constructor(private readonly spec: NormalizerSpec) {
    const m = spec.charsmap;
    if (m.length >= 4) {
      const size = new DataView(m.buffer, m.byteOffset, 4).getUint32(0, true);
      this.units = new Uint32Array(new Uint8Array(m.subarray(4, 4 + size)).buffer);
      this.strings = m.subarray(4 + size);
    } else {
      this.units = new Uint32Array(0);
      this.strings = new Uint8Array(0);
    }
    const enc = new TextEncoder();
    this.user = (spec.userDefined ?? []).map((s) => enc.encode(s));
  }

  /** Longest rule of the map matching at `i`: [consumed bytes, offset of the replacement], or undefined. */
  private longestRule(b: Uint8Array, i: number): [number, number] | undefined {
    const a = this.units;
    if (a.length === 0) return undefined;
    // Darts-clone unit layout: label = bits 0-7 (+ bit 31), has_leaf = bit 8, offset = bits 10-31 scaled by bit 9
    const offset = (u: number): number => (u >>> 10) << ((u & (1 << 9)) >>> 6);
    let node = offset(a[0]);
    let best: [number, number] | undefined;
    for (let k = i; k < b.length; k++) {
      node ^= b[k];
      const u = a[node];
      if (u === undefined || (u & 0x800000ff) >>> 0 !== b[k]) break;
      node ^= offset(u);
      if ((u >>> 8) & 1) best = [k - i + 1, a[node] & 0x7fffffff];
    }
    return best;
  }

  /** One step of `NormalizePrefix`: the bytes to emit and how many input bytes they consume. */
  private prefix(b: Uint8Array, i: number): { out: Uint8Array | number[]; used: number } {
    for (const u of this.user) if (u.length > 0 && i + u.length <= b.length && u.every((x, k) => b[i + k] === x)) return { out: u, used: u.length };
    const rule = this.longestRule(b, i);
    if (rule) {
      let end = rule[1];
      while (end < this.strings.length && this.strings[end] !== 0) end++;
      return { out: this.strings.subarray(rule[1], end), used: rule[0] };
    }
    const n = utf8Length(b, i);
    return n === 0 ? { out: REPLACEMENT, used: 1 } : { out: b.subarray(i, i + n), used: n };
  }

  /** The normalised text, spaces written as "▁" (when escaping), as sentencepiece feeds it to the model. */
  normalize(text: string): string {
    const b = new TextEncoder().encode(text);
    const s = this.spec;
    const out: number[] = [];
    let i = 0;
    if (s.removeExtraWhitespaces)
      while (i < b.length) {
        const p = this.prefix(b, i);
        if (!(p.out.length === 1 && p.out[0] === SPACE)) break;
        i += p.used;
      }
    if (i >= b.length) return "";
    const space = s.escapeWhitespaces ? META : [SPACE];
    if (s.addDummyPrefix) out.push(...space);
    let prevSpace = s.removeExtraWhitespaces;
    while (i < b.length) {
      const p = this.prefix(b, i);
      let k = 0;
      if (prevSpace) while (k < p.out.length && p.out[k] === SPACE) k++;
      if (k < p.out.length) {
        for (; k < p.out.length; k++) {
          if (p.out[k] === SPACE) out.push(...space);
          else out.push(p.out[k]);
        }
        prevSpace = p.out[p.out.length - 1] === SPACE;
      }
      i += p.used;
      if (!s.removeExtraWhitespaces) prevSpace = false;
    }
    if (s.removeExtraWhitespaces) {
      const sl = space.length;
      while (out.length >= sl && space.every((x, k) => out[out.length - sl + k] === x)) out.length -= sl;
    }
    return new TextDecoder().decode(Uint8Array.from(out));
  }
}
