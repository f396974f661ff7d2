/**
 * Standard-normal helpers that stay accurate far in the tails: erfcx,
 * Φ, log Φ and log h(z) = log(φ(z) + z Φ(z)), the core of log expected
 * improvement (Ament et al. 2023, "Unexpected Improvements to Expected
 * Improvement for Bayesian Optimization", eq. 9).
 */
const SQRT_PI = Math.sqrt(Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
const HALF_LOG_PI_OVER_2 = 0.5 * Math.log(Math.PI / 2);
const SQRT_HALF_PI = Math.sqrt(Math.PI / 2);

/** φ(z), the standard normal density. */
export function normalPdf(z: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * z * z);
}

/**
 * Scaled complementary error function erfcx(x) = exp(x²) erfc(x).
 * x < 2: erf from its all-positive series erf(x) = 2/√π e^{-x²} Σ 2ⁿ x^{2n+1}/(2n+1)!!;
 * x ≥ 2: the Laplace continued fraction erfcx(x) = 1/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))).
 */
export function erfcx(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) {
    if (x < -26.6) return Infinity;
    return 2 * Math.exp(x * x) - erfcx(-x);
  }
  if (x < 2) {
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (2 * x * x) / (2 * n + 1);
      sum += term;
      if (term < 1e-17 * sum) break;
    }
    const erf = (2 / SQRT_PI) * Math.exp(-x * x) * sum;
    return Math.exp(x * x) * (1 - erf);
  }
  if (x > 1e8) return 1 / (SQRT_PI * x);
  const terms = x < 4 ? 120 : x < 10 ? 60 : 30;
  let f = x;
  for (let k = terms; k >= 1; k--) f = x + k / 2 / f;
  return 1 / (SQRT_PI * f);
}

/** erfc(x), accurate in relative terms for large positive x. */
export function erfc(x: number): number {
  return x >= 0 ? erfcx(x) * Math.exp(-x * x) : 2 - erfcx(-x) * Math.exp(-x * x);
}

/** Φ(z), the standard normal distribution function. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** log Φ(z), finite for very negative z. */
export function logNormalCdf(z: number): number {
  if (z < -1) return Math.log(0.5 * erfcx(-z / Math.SQRT2)) - 0.5 * z * z;
  return Math.log1p(-0.5 * erfc(z / Math.SQRT2));
}

/** log(1 - exp(x)) for x < 0 without cancellation. */
export function log1mexp(x: number): number {
  return x > -Math.LN2 ? Math.log(-Math.expm1(x)) : Math.log1p(-Math.exp(x));
}

/** h(z) = φ(z) + z Φ(z): expected improvement of a unit normal over -z. */
export function h(z: number): number {
  return normalPdf(z) + z * normalCdf(z);
}

/**
 * d log h(z) / dz = Φ(z) / h(z) (since h'(z) = Φ(z)), accurate for all z:
 * below -1 through R = Φ(z)/φ(z) = √(π/2) erfcx(-z/√2) as R / (1 + z R),
 * and below -1e3 its asymptote -z - 2/z + 6/z³ (from h(z) ~ φ(z)/z² (1 - 3/z²)),
 * where R / (1 + z R) would lose digits to cancellation.
 */
export function dLogH(z: number): number {
  if (z > -1) return normalCdf(z) / h(z);
  if (z > -1e3) {
    const r = SQRT_HALF_PI * erfcx(-z / Math.SQRT2);
    return r / (1 + z * r);
  }
  return -z - 2 / z + 6 / (z * z * z);
}

/** log h(z), accurate for all z (finite down to z ≈ -1e154). */
export function logH(z: number): number {
  if (z > -1) return Math.log(h(z));
  if (z > -1e8) {
    // h(z) = φ(z) (1 - |z| √(π/2) erfcx(-z/√2)) for z < 0.
    return -0.5 * z * z - HALF_LOG_2PI + log1mexp(Math.log(erfcx(-z / Math.SQRT2) * Math.abs(z)) + HALF_LOG_PI_OVER_2);
  }
  // Asymptotically h(z) ~ φ(z) / z².
  return -0.5 * z * z - HALF_LOG_2PI - 2 * Math.log(Math.abs(z));
}
