// import fastifyIdentityToken from 'layer-identity/fastify': the same plugin as the CommonJS
// entry point.
import fastifyIdentityToken from './fastify.js';

export { fastifyIdentityToken };
export default fastifyIdentityToken;
