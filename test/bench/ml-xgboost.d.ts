/** `ml-xgboost` (mljs; XGBoost compiled to WebAssembly) ships no types: what the churn benchmark uses of it. */
declare module 'ml-xgboost' {
  interface Booster {
    train(x: number[][], y: number[]): void;
    predict(x: number[][]): number[];
    free(): void;
  }
  /** The module is a promise of the class, resolved once the WebAssembly is compiled. */
  const ready: Promise<new (options: Record<string, unknown>) => Booster>;
  export default ready;
}
