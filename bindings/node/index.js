'use strict';
// layer-identity: mint and verify Layer identity tokens (CommonJS entry point). The Fastify
// plugin is its own entry point, layer-identity/fastify.
const api = require('./lib/index.js');
const { identityTokenHandler, demoAuthenticate } = require('./lib/handler.js');
const { identityTokenFetchHandler } = require('./lib/fetch.js');

module.exports = { ...api, identityTokenHandler, identityTokenFetchHandler, demoAuthenticate };
