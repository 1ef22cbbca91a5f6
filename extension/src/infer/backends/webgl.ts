/** @module infer/backends/webgl — TensorFlow.js's WebGL backend, a chunk of `aisle-infer.js` of its own. */
import '@tensorflow/tfjs-backend-webgl';
