'use strict';
// The identity-token endpoint as a Fastify plugin:
//
//   fastify.register(require('layer-identity/fastify'), { prefix: '/layer', signer, authenticate })
//
// Every path under the prefix is the endpoint's (POST /layer/identity-token, GET
// /layer/healthz, the contract's 404 elsewhere), in an encapsulated context of its own: a
// content-type parser there hands the request's body to the endpoint unread, so the
// application's own parsers (JSON, form, ...) stay as they are for its other routes, and the
// library sees the bytes as sent (duplicate members, depth, exact text). authenticate gets
// Fastify's request. The plugin carries the metadata fastify-plugin would give it (name,
// Fastify version), without its skip-override: the parser must stay inside the plugin.

const { Unavailable, endpointOptions, exchange, readStream, relativeTarget, demoAuthenticate } = require('./endpoint');

const NAME = 'layer-identity';

// The body's stream: what the plugin's parser handed over (after Fastify's preParsing hooks),
// or, for a request Fastify parses no body for (GET, HEAD, no body), the raw request.
function bodyStream(request) {
  const body = request.body;
  return body !== null && typeof body === 'object' && typeof body.on === 'function' ? body : request.raw;
}

function readBody(request) {
  return (limit) => {
    const stream = bodyStream(request);
    if (!stream.readableEnded) return readStream(stream, limit);
    // Read by a hook before the plugin (fastify-raw-body keeps the bytes in request.rawBody).
    if (request.rawBody instanceof Uint8Array) return Promise.resolve(request.rawBody);
    return Promise.resolve(new Unavailable(`the request body was read before the ${NAME} plugin could see its bytes (by an onRequest or preParsing hook): register the plugin where no hook reads the body`));
  };
}

async function fastifyIdentityToken(fastify, options) {
  const endpoint = endpointOptions(options, 'the layer-identity Fastify plugin', (message, status) => {
    if (status >= 500) fastify.log.error(message);
    else fastify.log.warn(message);
  });
  const prefix = fastify.prefix;

  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  async function handler(request, reply) {
    const raw = request.raw;
    const head = {
      method: raw.method,
      target: relativeTarget(raw.url, prefix), // as received, less the prefix
      contentType: raw.headers['content-type'] ?? null,
      contentLength: raw.headers['content-length'] ?? null,
    };
    const answer = await exchange(endpoint, head, readBody(request), request, undefined, null);
    if (answer === null) return reply.hijack(); // the client is gone: nothing to send
    reply.code(answer.status);
    for (let i = 0; i < answer.headers.length; i += 2) reply.header(answer.headers[i], answer.headers[i + 1]);
    return reply.send(answer.body);
  }

  fastify.all('/*', handler);
  if (prefix !== '') fastify.all('/', handler);
}

// fastify-plugin's conventions: a name and the Fastify versions it works with (checked by
// fastify.register), and the export forms TypeScript and ES modules look for.
fastifyIdentityToken[Symbol.for('skip-override')] = false;
fastifyIdentityToken[Symbol.for('fastify.display-name')] = NAME;
fastifyIdentityToken[Symbol.for('plugin-meta')] = { name: NAME, fastify: '5.x', encapsulate: true };
fastifyIdentityToken.default = fastifyIdentityToken;
fastifyIdentityToken.fastifyIdentityToken = fastifyIdentityToken;
fastifyIdentityToken.demoAuthenticate = demoAuthenticate;

module.exports = fastifyIdentityToken;
