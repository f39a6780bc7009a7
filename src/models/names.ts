/**
 * The names every layer agrees on, kept at the bottom so that the config, the lexical model and
 * the heads all import them downward: the kinds of prediction problem, the pooling heads' names,
 * and the fine-tuned twin of each (`<head>-ft`).
 */
export type Task = "binary" | "multiclass" | "regression";

export type HeadName = "mean" | "max" | "min" | "weightedLayer" | "attention";
/** A pooling head trained together with the top transformer layers over the cached hidden state below them. */
export type FinetunedName = `${HeadName}-ft`;

export const HEAD_NAMES: readonly HeadName[] = ["mean", "max", "min", "weightedLayer", "attention"];
export const FINETUNED_NAMES: readonly FinetunedName[] = HEAD_NAMES.map((h) => `${h}-ft` as const);

/** The models a config that lists no `heads` trains: the frozen pooling heads and tfidf. */
export const DEFAULT_MODELS: readonly string[] = [...HEAD_NAMES, "tfidf"];

/** The frozen head a fine-tuned model trains (`mean-ft` → `mean`), or undefined for any other model. */
export function finetunedHead(model: string): HeadName | undefined {
  const head = model.endsWith("-ft") ? model.slice(0, -3) : "";
  return (HEAD_NAMES as readonly string[]).includes(head) ? (head as HeadName) : undefined;
}

/** JSON-serialisable values (what a trainer reports about a fold). */
export type Json = number | string | boolean | null | Json[] | { [k: string]: Json };
