// Type definitions for `import layer from 'layer-identity/parse'`.
import layer = require('./parse.js');
export const initialize: typeof layer.initialize;
export const layerIdentityToken: typeof layer.layerIdentityToken;
export const layerIdentityTokenAsync: typeof layer.layerIdentityTokenAsync;
export default layer;
