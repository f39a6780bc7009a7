/**
 * Python's character classes on every code point, derived independently of the module: Python's
 * `str.isspace()` is JavaScript's `\s` without U+FEFF plus U+001C–U+001F and U+0085; Python's `\w`
 * is a letter, a number or "_". Code-point order against JavaScript's own string iterator.
 */
import { describe, it, expect } from "vitest";
import { compareCodePoints, isSpace, isWordChar } from "../../src/lexical/unicode.js";
import { mulberry32 } from "../../src/util/random.js";

const JS_SPACE = /\s/u;
const LETTER_NUMBER = /[\p{L}\p{N}_]/u;

describe("Python character classes", () => {
  it("isSpace matches str.isspace() on every code point", () => {
    const wrong: number[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      const python = (JS_SPACE.test(String.fromCodePoint(cp)) && cp !== 0xfeff) || (cp >= 0x1c && cp <= 0x1f) || cp === 0x85;
      if (isSpace(cp) !== python) wrong.push(cp);
    }
    expect(wrong).toEqual([]);
  });

  it("isWordChar: letters, numbers and underscore on every code point (surrogate halves are not)", () => {
    const wrong: number[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      const want = cp >= 0xd800 && cp < 0xe000 ? false : LETTER_NUMBER.test(String.fromCodePoint(cp));
      if (isWordChar(cp) !== want) wrong.push(cp);
    }
    expect(wrong).toEqual([]);
    expect([0x5f, 0x41, 0x30, 0xbd, 0x1d518].map(isWordChar)).toEqual([true, true, true, true, true]);
    expect([0x2d, 0x20, 0x308, 0x1f600].map(isWordChar)).toEqual([false, false, false, false]);
  });
});

/** Random strings over ASCII, BMP characters on both sides of the surrogate range and astral characters. */
function randomStrings(count: number, seed: number): string[] {
  const r = mulberry32(seed);
  const pools = [[0x61, 0x7a], [0xd7f0, 0xd7ff], [0xe000, 0xe010], [0xfff0, 0xffff], [0x10000, 0x10010], [0x1f600, 0x1f610]];
  return Array.from({ length: count }, () => {
    let s = "";
    const len = Math.floor(r() * 5);
    for (let i = 0; i < len; i++) {
      const [a, b] = pools[Math.floor(r() * pools.length)];
      const cp = a + Math.floor(r() * (b - a + 1));
      s += String.fromCodePoint(cp);
    }
    return s;
  });
}

const iterated = (s: string): number[] => Array.from(s, (ch) => ch.codePointAt(0)!);

describe("code points", () => {
  it("compareCodePoints orders as Python's sorted, by code point", () => {
    const byCp = (a: string, b: string): number => {
      const x = iterated(a), y = iterated(b);
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
      return x.length - y.length;
    };
    // texts are decoded strictly from UTF-8 (src/io/csv.ts), so they hold no lone surrogate halves
    const xs = randomStrings(400, 11);
    for (let i = 0; i + 1 < xs.length; i++) {
      const [a, b] = [xs[i], xs[i + 1]];
      expect(Math.sign(compareCodePoints(a, b)), JSON.stringify([a, b])).toBe(Math.sign(byCp(a, b)));
    }
    // U+FFFF sorts before U+10000 although its UTF-16 unit is larger than the pair's first unit
    expect(compareCodePoints("\uffff", "\u{10000}")).toBeLessThan(0);
    expect(compareCodePoints("\ue000", "\u{1f600}")).toBeLessThan(0);
    expect(compareCodePoints("\ud7ff", "\u{10000}")).toBeLessThan(0);
    expect(compareCodePoints("ab", "a")).toBeGreaterThan(0);
    expect(compareCodePoints("a", "a")).toBe(0);
  });
});
