'use strict';
// identityTokenFetchHandler: the identity-token endpoint as a fetch-style handler,
// (Request, context?) => Promise<Response>, for Next.js route handlers, Hono and other servers
// built on the Web's Request and Response. The contract is the library's (lib/endpoint.js);
// this file moves bytes between the Web objects and the core.

const { Aborted, endpointOptions, exchange, oneLine, prefixOption, relativeTarget, demoAuthenticate } = require('./endpoint');

// The first `limit` bytes of a request body stream (all of it when shorter), then stops.
async function readWebStream(stream, limit) {
  if (stream === null) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks = [];
  let size = 0;
  try {
    while (size <= limit) {
      let chunk;
      try {
        chunk = await reader.read();
      } catch (error) {
        throw new Aborted(`the request's body ended early after ${size} bytes (${oneLine(error)})`);
      }
      if (chunk.done) break;
      chunks.push(chunk.value);
      size += chunk.value.byteLength;
    }
    if (size > limit) await reader.cancel().catch(() => {});
  } finally {
    reader.releaseLock();
  }
  return Buffer.concat(chunks, size);
}

/**
 * The identity-token endpoint (POST /identity-token, GET /healthz) as a fetch-style handler:
 * `(request, context?) => Promise<Response>`.
 *
 * options.signer, options.authenticate(request, fields, context), options.log(message): as
 *   for identityTokenHandler; authenticate gets the Request and the handler's second argument
 *   (Next.js: the route context; Hono: pass the Context, `(c) => handler(c.req.raw, c)`).
 * options.prefix: the path the handler is mounted under, taken off the request's path
 *   ('/api/layer' for app/api/layer/[...path]/route.ts); default '' (Hono's app.mount()
 *   already takes its prefix off).
 */
function identityTokenFetchHandler(options) {
  const endpoint = endpointOptions(options, 'identityTokenFetchHandler', (message) => console.error(message));
  const prefix = prefixOption(options.prefix, 'options.prefix');
  return async function identityTokenEndpoint(request, context) {
    const head = {
      method: request.method,
      // The absolute URL, which the core routes by its path (RFC 9112's absolute form).
      target: relativeTarget(request.url, prefix),
      contentType: request.headers.get('content-type'),
      contentLength: request.headers.get('content-length'),
    };
    const answer = await exchange(endpoint, head, (limit) => readWebStream(request.body, limit), request, context, null);
    // The client is gone: nobody reads this answer, but a handler must give one.
    if (answer === null) return new Response(null, { status: 499 });
    const headers = new Headers();
    for (let i = 0; i < answer.headers.length; i += 2) headers.append(answer.headers[i], answer.headers[i + 1]);
    return new Response(request.method === 'HEAD' ? null : answer.body, { status: answer.status, headers });
  };
}

identityTokenFetchHandler.demoAuthenticate = demoAuthenticate;

module.exports = { identityTokenFetchHandler };
