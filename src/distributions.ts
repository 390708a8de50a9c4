import * as tf from '#tfjs';

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * Log-density of a diagonal Gaussian, one value per row.
 *
 * log N(a; μ, σ) = −½ Σ_d ((a_d − μ_d)/σ_d)² − Σ_d log σ_d − (D/2) log 2π
 *
 * @param mean `[N, D]`
 * @param logStd `[D]` (state-independent)
 * @param actions `[N, D]`
 * @returns `[N]`
 */
export function gaussianLogProb(mean: tf.Tensor2D, logStd: tf.Tensor1D, actions: tf.Tensor2D): tf.Tensor1D {
  const d = mean.shape[1];
  const z = tf.mul(tf.sub(actions, mean), tf.exp(tf.neg(logStd)));
  const quad = tf.mul(tf.sum(tf.square(z), 1), -0.5);
  return tf.sub(quad, tf.add(tf.sum(logStd), 0.5 * d * LOG_2PI)) as tf.Tensor1D;
}

/**
 * KL(old ‖ new) between diagonal Gaussians, one value per row.
 *
 * KL = Σ_d [ log σ'_d − log σ_d + (σ_d² + (μ_d − μ'_d)²) / (2 σ'_d²) − ½ ]
 *
 * Closed form, so its gradient in the new parameters vanishes where new = old, and the
 * finite-difference Fisher-vector product relies on that. It is computed so that it vanishes in
 * float32 too: the σ terms from d = log σ' − log σ as d + ½ e^(−2d) − ½, whose gradient 1 − e^(−2d)
 * is 0 at d = 0 whatever the rounding of exp elsewhere. Written as log σ' − log σ + σ²/(2σ'²) − ½
 * with σ² and 1/σ'² rounded apart, the gradient in log σ' was ~1e-5 on wasm, as large as the
 * product ε F v at a shift of 1e-3 (12–55 % error in F v on navigation).
 *
 * @param meanOld `[N, D]`, logStdOld `[D]`, meanNew `[N, D]`, logStdNew `[D]`
 * @returns `[N]`
 */
export function gaussianKl(
  meanOld: tf.Tensor2D,
  logStdOld: tf.Tensor1D,
  meanNew: tf.Tensor2D,
  logStdNew: tf.Tensor1D,
): tf.Tensor1D {
  const d = tf.sub(logStdNew, logStdOld); // [D]
  const perDim = tf.sub(tf.add(d, tf.mul(tf.exp(tf.mul(d, -2)), 0.5)), 0.5); // [D]
  const quad = tf.mul(tf.square(tf.sub(meanOld, meanNew)), tf.mul(tf.exp(tf.mul(logStdNew, -2)), 0.5)); // [N, D]
  return tf.add(tf.sum(quad, 1), tf.sum(perDim)) as tf.Tensor1D;
}
