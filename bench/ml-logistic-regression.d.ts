// Minimal types for ml-logistic-regression 2.0.0 (it ships none), as the scoring bench uses it.
declare module 'ml-logistic-regression' {
  import type { Matrix } from 'ml-matrix';

  interface TwoClass {
    weights: Matrix;
    testScores(X: Matrix): number[];
  }
  export default class LogisticRegression {
    constructor(opts?: { numSteps?: number; learningRate?: number });
    classifiers: TwoClass[];
    train(X: Matrix, Y: Matrix): void;
    predict(X: Matrix): number[];
    static load(model: Record<string, unknown>): LogisticRegression;
  }
}
