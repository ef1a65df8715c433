/**
 * Weighted logistic regression with an unpenalized intercept and an L2 penalty, fitted by Newton's
 * method (IRLS) with step halving. Rows come dense (row-major Float64Array) or from a RowSource. With a few dozen
 * columns the p×p Hessian is tiny and Newton converges in 5-10 passes over the data.
 */
export interface LogisticFit {
  intercept: number;
  weights: Float64Array;
  iterations: number;
  converged: boolean;
  /** Penalized weighted negative log-likelihood at the solution. */
  loss: number;
}

/**
 * Rows of a design matrix read one at a time: `fill` writes row i's p values at out[at..].
 * Training reads its target-encoded columns through lookups (codes × small tables) instead of
 * materializing an n × p matrix: 200,000 rows × 73 columns would be 117 MB of doubles.
 */
export interface RowSource {
  fill(i: number, out: Float64Array, at: number): void;
}

/** A dense n × p row-major matrix as a RowSource. */
export function denseRows(X: Float64Array, p: number): RowSource {
  return {
    fill(i, out, at) {
      const o = i * p;
      for (let j = 0; j < p; j++) out[at + j] = X[o + j]!;
    },
  };
}

export interface LogisticInput {
  /** n × p row-major, or rows read on demand. */
  X: Float64Array | RowSource;
  n: number;
  p: number;
  /** 1 = positive class. */
  y: Uint8Array;
  /** Row weights; 0 leaves a row out. */
  w: Float64Array;
  l2: number;
  maxIter?: number;
  tol?: number;
  /**
   * Rows used for the Hessian (an evenly strided sample when there are more). The gradient
   * always uses every row, so the fit converges to the exact optimum; the sample only sets the
   * step's curvature, which is what dominates the cost (n × p² per pass).
   */
  hessianRows?: number;
}

function penalizedLoss(inp: LogisticInput, rows: RowSource, x: Float64Array, b0: number, beta: Float64Array): number {
  const { n, p, y, w, l2 } = inp;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const wi = w[i]!;
    if (wi === 0) continue;
    let z = b0;
    rows.fill(i, x, 0);
    for (let j = 0; j < p; j++) z += x[j]! * beta[j]!;
    // log(1 + e^z) - y z, computed stably.
    const sp = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
    loss += wi * (sp - y[i]! * z);
  }
  let pen = 0;
  for (let j = 0; j < p; j++) pen += beta[j]! * beta[j]!;
  return loss + 0.5 * l2 * pen;
}

/** Solves A x = b in place for symmetric positive-definite A (k × k) by Cholesky. */
export function choleskySolve(A: Float64Array, b: Float64Array, k: number): Float64Array {
  const L = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * k + j]!;
      for (let t = 0; t < j; t++) s -= L[i * k + t]! * L[j * k + t]!;
      if (i === j) L[i * k + i] = Math.sqrt(Math.max(s, 1e-12));
      else L[i * k + j] = s / L[j * k + j]!;
    }
  }
  const z = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let s = b[i]!;
    for (let t = 0; t < i; t++) s -= L[i * k + t]! * z[t]!;
    z[i] = s / L[i * k + i]!;
  }
  const x = new Float64Array(k);
  for (let i = k - 1; i >= 0; i--) {
    let s = z[i]!;
    for (let t = i + 1; t < k; t++) s -= L[t * k + i]! * x[t]!;
    x[i] = s / L[i * k + i]!;
  }
  return x;
}

export function fitLogistic(inp: LogisticInput): LogisticFit {
  const { n, p, y, w, l2 } = inp;
  const rows = inp.X instanceof Float64Array ? denseRows(inp.X, p) : inp.X;
  const x = new Float64Array(p);
  const maxIter = inp.maxIter ?? 50;
  const tol = inp.tol ?? 1e-13;
  const k = p + 1; // parameter 0 is the intercept
  let sw = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sw += w[i]!;
    sy += w[i]! * y[i]!;
  }
  const rate = Math.min(Math.max(sy / Math.max(sw, 1e-12), 1e-6), 1 - 1e-6);
  let b0 = Math.log(rate / (1 - rate));
  let beta = new Float64Array(p);
  let loss = penalizedLoss(inp, rows, x, b0, beta);
  const H = new Float64Array(k * k);
  const g = new Float64Array(k);
  const row = new Float64Array(k);
  const hRows = inp.hessianRows ?? 20_000;
  const stride = n > hRows ? n / hRows : 1;
  const hScale = stride;
  let nextH = 0;
  let it = 0;
  let converged = false;
  for (; it < maxIter; it++) {
    H.fill(0);
    g.fill(0);
    nextH = 0;
    for (let i = 0; i < n; i++) {
      const wi = w[i]!;
      if (wi === 0) continue;
      row[0] = 1;
      rows.fill(i, row, 1);
      let z = b0;
      for (let j = 0; j < p; j++) z += row[j + 1]! * beta[j]!;
      const mu = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
      const r = wi * (y[i]! - mu);
      for (let a = 0; a < k; a++) g[a]! += r * row[a]!;
      if (i < nextH) continue;
      nextH += stride;
      const v = hScale * wi * mu * (1 - mu);
      for (let a = 0; a < k; a++) {
        const va = v * row[a]!;
        const base = a * k;
        for (let c = 0; c <= a; c++) H[base + c]! += va * row[c]!;
      }
    }
    for (let a = 0; a < k; a++) for (let c = 0; c < a; c++) H[c * k + a] = H[a * k + c]!;
    for (let j = 1; j < k; j++) {
      H[j * k + j]! += l2;
      g[j]! -= l2 * beta[j - 1]!;
    }
    const step = choleskySolve(H, g, k);
    // Step halving keeps Newton monotone when a full step overshoots (separable columns).
    let t = 1;
    let next = beta;
    let nb0 = b0;
    let nloss = loss;
    for (let h = 0; h < 30; h++) {
      nb0 = b0 + t * step[0]!;
      next = new Float64Array(p);
      for (let j = 0; j < p; j++) next[j] = beta[j]! + t * step[j + 1]!;
      nloss = penalizedLoss(inp, rows, x, nb0, next);
      if (nloss <= loss + 1e-12) break;
      t /= 2;
    }
    let maxStep = 0;
    for (let j = 0; j < k; j++) maxStep = Math.max(maxStep, Math.abs(t * step[j]!));
    const improved = loss - nloss;
    b0 = nb0;
    beta = next;
    loss = nloss;
    // Stop on a tiny step; the loss test only guards against stalling at rounding level.
    if (maxStep < 1e-6 || improved <= tol * Math.max(1, Math.abs(loss))) {
      converged = true;
      it++;
      break;
    }
  }
  return { intercept: b0, weights: beta, iterations: it, converged, loss };
}
