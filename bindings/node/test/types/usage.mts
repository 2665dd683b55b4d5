// Compiled by `tsc --strict --noEmit`: the ES module entry points' types. Never run.
import layerIdentity, { Signer, type Claims } from 'layer-identity';
import layer, { initialize, layerIdentityToken } from 'layer-identity/parse';

const signer: Signer = new layerIdentity.Signer({ privateKey: '', providerId: 'p', keyId: 'k' });
const token: Promise<string> = signer.signAsync({ userId: 'u', nonce: 'n' });
const verify = (c: Claims): number => c.expiresAt - c.issuedAt;
initialize('p', 'k', Buffer.from(''));
const parsed: string = layerIdentityToken('u', 'n') + layer.layerKeyID;

export { token, verify, parsed };

// The Fastify plugin from ES modules, default and named.
import Fastify from 'fastify';
import fastifyIdentityToken, { fastifyIdentityToken as named, type FastifyIdentityTokenOptions } from 'layer-identity/fastify';

const options: FastifyIdentityTokenOptions = { signer, authenticate: (request) => request.headers['x-user'] as string | undefined };
void Fastify().register(fastifyIdentityToken, { prefix: '/layer', ...options }).register(named, options);
