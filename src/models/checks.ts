/**
 * The value checks of one config file, shared by the config's own keys and every model family's
 * slice of it: each returns the valid value or throws a UserError naming the file and the key.
 */
import { UserError } from "../util/errors.js";

/** A config (or a part of it) as parsed from JSON, before validation. */
export type RawConfig = { readonly [key: string]: unknown };

export function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export interface Checks {
  bad: (key: string, what: string) => never;
  str: (v: unknown, key: string) => string;
  num: (v: unknown, key: string, min: number, int?: boolean) => number;
  /** a number in [0, 1] */
  frac: (v: unknown, key: string) => number;
  strList: (v: unknown, key: string) => string[];
  oneOf: <T extends string>(v: unknown, key: string, allowed: readonly T[]) => T;
}

export function checks(file: string): Checks {
  const bad = (key: string, what: string): never => {
    throw new UserError(`${file}: "${key}" ${what}`);
  };
  const str = (v: unknown, key: string): string => (typeof v === "string" && v.length > 0 ? v : bad(key, "must be a non-empty string"));
  const num = (v: unknown, key: string, min: number, int = true): number => {
    const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
    if (typeof n !== "number" || !Number.isFinite(n) || n < min || (int && !Number.isInteger(n))) bad(key, `must be ${int ? "an integer" : "a number"} ≥ ${min}`);
    return n as number;
  };
  const strList = (v: unknown, key: string): string[] => {
    const arr = typeof v === "string" ? v.split(",") : v;
    if (!Array.isArray(arr) || arr.length === 0) bad(key, "must be a non-empty list of column names");
    return (arr as unknown[]).map((x, i) => str(x, `${key}[${i}]`));
  };
  const oneOf = <T extends string>(v: unknown, key: string, allowed: readonly T[]): T =>
    allowed.includes(v as T) ? (v as T) : bad(key, `must be one of ${allowed.join(", ")} (got ${JSON.stringify(v)})`);
  const frac = (v: unknown, key: string): number => {
    const x = num(v, key, 0, false);
    return x <= 1 ? x : bad(key, "must be between 0 and 1");
  };
  return { bad, str, num, frac, strList, oneOf };
}

/** The object at `key` of `raw`, `{}` when absent; anything else is an error naming the key. */
export function section(raw: RawConfig, key: string, k: Checks): RawConfig {
  const v = raw[key];
  return v === undefined ? {} : isObj(v) ? v : k.bad(key, "must be an object");
}
