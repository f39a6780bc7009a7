/** Kept so existing importers keep working: fold assignment now lives in src/folds/kfold.ts (below the lexical model). */
export * from "../folds/kfold.js";
