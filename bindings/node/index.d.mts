// Type definitions for the ES module entry point: the same API, plus the default export.
export * from './index.js';
import * as layerIdentity from './index.js';
export default layerIdentity;
