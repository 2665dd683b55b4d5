'use strict';
// require('layer-identity/fastify'): the identity-token endpoint as a Fastify plugin.
module.exports = require('./lib/fastify.js');
