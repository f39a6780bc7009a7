/**
 * Python's character classes, so that tokens and n-grams match scikit-learn's:
 * `\w` of a `str` pattern is `str.isalnum()` or "_" (Unicode, unlike JS `\w`), and `str.split()`
 * splits on `str.isspace()` (which, unlike JS `\s`, includes U+001C–U+001F and U+0085 but not
 * U+FEFF). Checked against CPython 3.11 (Unicode 14) on every code point: identical for every
 * character assigned in Unicode 14; characters assigned later (Unicode 15–17, known to Node's ICU
 * but not to Python 3.11) count as word characters here when they are letters or numbers.
 */

const WORD_RE = /[\p{L}\p{N}_]/u;

/** Word-character bitmap of the Basic Multilingual Plane, built once (65,536 regex tests, ~10 ms). */
const BMP_WORD = (() => {
  const bits = new Uint8Array(65536);
  for (let c = 0; c < 65536; c++) if (c < 0xd800 || c >= 0xe000) bits[c] = WORD_RE.test(String.fromCharCode(c)) ? 1 : 0;
  return bits;
})();

/** True when code point `cp` matches Python's `\w` (letters, numbers, underscore). */
export function isWordChar(cp: number): boolean {
  return cp < 65536 ? BMP_WORD[cp] === 1 : WORD_RE.test(String.fromCodePoint(cp));
}

/** True when code point `cp` is whitespace for Python's `str.isspace()` / `str.split()`. */
export function isSpace(cp: number): boolean {
  if (cp <= 0x20) return cp === 0x20 || (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x1f);
  if (cp < 0x85) return false;
  return cp === 0x85 || cp === 0xa0 || cp === 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp === 0x2028 || cp === 0x2029 || cp === 0x202f || cp === 0x205f || cp === 0x3000;
}

/**
 * Compares two strings in code-point order (Python's `sorted`), not in UTF-16 unit order as JS
 * `<` does: the two differ when a surrogate pair meets a BMP character above U+DFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i), y = b.charCodeAt(i);
    if (x !== y) return fixup(x) - fixup(y);
  }
  return a.length - b.length;
}

/** Moves surrogates above the rest of the BMP so that unit order becomes code-point order. */
function fixup(u: number): number {
  return u >= 0xe000 ? u - 0x800 : u >= 0xd800 ? u + 0x2000 : u;
}
