// Compiled by `tsc --strict --noEmit` (scripts/lint.sh): the adapters' types against the real
// frameworks' types (Express, Fastify, Hono, the Web's Request). Never run.
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { Signer, identityTokenHandler, identityTokenFetchHandler, demoAuthenticate, type IdentityTokenFields } from 'layer-identity';
import fastifyIdentityToken = require('layer-identity/fastify');

// What an authentication middleware (passport, say) declares on Express's request.
declare global {
  namespace Express {
    interface Request {
      user?: { id: string };
    }
  }
}

const signer = Signer.fromEnv();

// Express: name the request type, and authenticate sees Express's request with its user.
const app = express();
app.use('/layer', identityTokenHandler<express.Request>({
  signer,
  authenticate: (req) => req.user?.id,
}));
// Without it, authenticate sees node:http's IncomingMessage, which has no user.
// @ts-expect-error Property 'user' does not exist on type 'IncomingMessage'
identityTokenHandler({ signer, authenticate: (req) => req.user?.id });
app.use(identityTokenHandler({ signer, authenticate: demoAuthenticate }));
app.use(identityTokenHandler<express.Request>({ signer, authenticate: async (req, fields: IdentityTokenFields) => (req.get('x-user') ? 42 : fields.userId) }));

// Fastify: register with a prefix; authenticate sees Fastify's request.
const fastify = Fastify();
void fastify.register(fastifyIdentityToken, {
  prefix: '/layer',
  signer,
  authenticate: (request) => (request.headers.authorization ? 7n : null),
});
void fastify.register(fastifyIdentityToken, { signer, authenticate: fastifyIdentityToken.demoAuthenticate, log: (m: string) => fastify.log.warn(m) });
// @ts-expect-error signer is required
void fastify.register(fastifyIdentityToken, { authenticate: demoAuthenticate });

// Fetch-style: Hono, with its Context as the second argument.
const hono = new Hono<{ Variables: { user?: string } }>();
const handler = identityTokenFetchHandler<{ get(key: 'user'): string | undefined }>({
  prefix: '/layer',
  signer,
  authenticate: (_request, _fields, c) => c.get('user'),
});
hono.all('/layer/*', (c) => handler(c.req.raw, c));
hono.mount('/plain', identityTokenFetchHandler({ signer, authenticate: demoAuthenticate }));
const response: Promise<Response> = handler(new Request('http://localhost/layer/healthz'));

export { response };
