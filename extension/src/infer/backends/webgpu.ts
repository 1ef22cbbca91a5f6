/** @module infer/backends/webgpu — TensorFlow.js's WebGPU backend, a chunk of `aisle-infer.js` of its own. */
import '@tensorflow/tfjs-backend-webgpu';
