// Type definitions for layer-identity/fastify, the identity-token endpoint as a Fastify plugin
// (in the shape @fastify/* plugins declare themselves: a function merged with a namespace).
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { AuthenticateResult, DemoAuthenticate, IdentityTokenFields, LogFunction, Signer } from './index.js';

type FastifyIdentityToken = FastifyPluginAsync<fastifyIdentityToken.FastifyIdentityTokenOptions>;

declare namespace fastifyIdentityToken {
  export interface FastifyIdentityTokenOptions {
    /** Signs the tokens (on the libuv thread pool). */
    signer: Signer;
    /** The user ID of the request's user, from Fastify's request (your session, decorations). */
    authenticate: (request: FastifyRequest, fields: IdentityTokenFields) => AuthenticateResult | PromiseLike<AuthenticateResult>;
    /** Where failures are described, one line each (default: the Fastify instance's logger). */
    log?: LogFunction;
  }
  /** Trusts the body's user_id: for demos only. */
  export const demoAuthenticate: DemoAuthenticate;
  export const fastifyIdentityToken: FastifyIdentityToken;
  export { fastifyIdentityToken as default };
}

/**
 * The identity-token endpoint as a Fastify plugin: every path under its prefix is the
 * endpoint's. `fastify.register(fastifyIdentityToken, { prefix: '/layer', signer, authenticate })`.
 */
declare function fastifyIdentityToken(...params: Parameters<FastifyIdentityToken>): ReturnType<FastifyIdentityToken>;
export = fastifyIdentityToken;
