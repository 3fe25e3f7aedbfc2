// The TensorFlow.js stack is the hono server with the model in TensorFlow.js (chosen by BACKEND):
// reusing its wiring keeps the two stacks identical except for the backend.
export { buildApp, listen } from '@servebench/server-hono/app';
