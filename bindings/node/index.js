'use strict';
// layer-identity: mint and verify Layer identity tokens (CommonJS entry point).
const api = require('./lib/index.js');
const { identityTokenHandler, demoAuthenticate } = require('./lib/handler.js');

module.exports = { ...api, identityTokenHandler, demoAuthenticate };
