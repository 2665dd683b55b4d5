// import layer from 'layer-identity/parse': the Parse Cloud Code drop-in as an ES module.
import layer from './parse.js';

export const { initialize, layerIdentityToken, layerIdentityTokenAsync } = layer;
export default layer;
