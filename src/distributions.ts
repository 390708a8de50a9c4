import * as tf from '@tensorflow/tfjs';

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
 * Closed form, so its gradient in the new parameters vanishes exactly where new = old
 * (the finite-difference Fisher-vector product relies on that).
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
  const varOld = tf.exp(tf.mul(logStdOld, 2));
  const invVarNew = tf.exp(tf.mul(logStdNew, -2));
  const perDimConst = tf.sub(tf.sub(logStdNew, logStdOld), 0.5); // [D]
  const quad = tf.mul(tf.add(tf.square(tf.sub(meanOld, meanNew)), varOld), tf.mul(invVarNew, 0.5)); // [N, D]
  return tf.sum(tf.add(quad, perDimConst), 1) as tf.Tensor1D;
}
