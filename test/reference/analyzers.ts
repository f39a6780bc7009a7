/**
 * scikit-learn's two analyzers as plain string code, written from its definitions and not from
 * src/lexical/tokenize.ts: Python's `\w` is a letter, a number or "_", and `str.isspace()` is
 * JavaScript's `\s` without U+FEFF plus U+001C–U+001F and U+0085 (test/lexical/unicode.test.ts
 * checks both on every code point).
 */

/** sklearn's word tokens, `(?u)\b\w\w+\b`: maximal runs of two or more word characters. */
export function wordTokens(text: string): string[] {
  return text.match(/[\p{L}\p{N}_]{2,}/gu) ?? [];
}

/** sklearn's `_word_ngrams`: n-grams (lo..hi) of a token list joined by one space, n = lo first. */
export function wordNgrams(tokens: readonly string[], lo: number, hi: number): string[] {
  const out: string[] = [];
  for (let n = lo; n <= Math.min(hi, tokens.length); n++) for (let i = 0; i + n <= tokens.length; i++) out.push(tokens.slice(i, i + n).join(" "));
  return out;
}

const isPythonSpace = (ch: string): boolean => (/\s/u.test(ch) && ch !== "\ufeff") || /[\u001c-\u001f\u0085]/u.test(ch);

/** sklearn's `_char_wb_ngrams`, line for line, over `str.split()` words, in code points. */
export function charWbNgrams(text: string, lo: number, hi: number): string[] {
  const words: string[][] = [];
  let word: string[] = [];
  for (const ch of text) {
    if (!isPythonSpace(ch)) word.push(ch);
    else if (word.length > 0) (words.push(word), (word = []));
  }
  if (word.length > 0) words.push(word);
  const out: string[] = [];
  for (const w of words.map((x) => [" ", ...x, " "])) {
    for (let n = lo; n <= hi; n++) {
      let offset = 0;
      out.push(w.slice(offset, offset + n).join(""));
      while (offset + n < w.length) {
        offset += 1;
        out.push(w.slice(offset, offset + n).join(""));
      }
      if (offset === 0) break; // a short word is counted once
    }
  }
  return out;
}
