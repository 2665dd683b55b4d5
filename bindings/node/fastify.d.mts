// Type definitions for the ES module entry point of layer-identity/fastify.
import fastifyIdentityToken from './fastify.js';

export type FastifyIdentityTokenOptions = fastifyIdentityToken.FastifyIdentityTokenOptions;
export { fastifyIdentityToken };
export default fastifyIdentityToken;
