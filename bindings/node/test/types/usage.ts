// Compiled by `tsc --strict --noEmit` (scripts/lint.sh): the public types, as a CommonJS user
// of TypeScript writes them. Never run.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import {
  Signer, Verifier, LayerIdentityError, Status, Eit, generateKeyPair, generateKeyPairAsync, signToken,
  signTokenAsync, clearKeyCache, inspectToken, identityTokenHandler, demoAuthenticate, version, abiVersion,
  type Claims, type SignRequest, type StatusName, type EitCode, type KeyPair,
} from 'layer-identity';
import layer = require('layer-identity/parse');

const providerId = 'layer:///providers/5d3c4e1a-7b2f-4c8d-9e6a-0f1b2c3d4e5f';
const keyId = 'layer:///keys/a1b2c3d4-e5f6-4789-8abc-def012345678';

const signer = new Signer({ privateKey: readFileSync('key.pem'), providerId, keyId, tokenType: 'JWT', allow1024BitKey: false, passphrase: null });
const fromEnv: Signer = Signer.fromEnv({ tokenType: 'JWS' });
const request: SignRequest = {
  userId: 'alice', nonce: 'n', issuedAt: new Date(), ttl: 600, firstName: 'Alice', lastName: null,
  displayName: undefined, avatarUrl: 'https://example.com/a.png', metadata: new Map([['plan', 'pro']]),
};
const token: string = signer.sign(request);
const bigints: string = signer.sign({ userId: 'u', nonce: 'n', issuedAt: 1700000000n, ttl: 60n });
new Signer({ privateKey: '', providerId, keyId, tokenType: 'jwt' }); // any letter case
const later: Promise<string> = fromEnv.signAsync({ userId: 'bob', nonce: 'm', metadata: { plan: 'pro' } });
const pem: string = signer.publicKeyPem();
const closed: boolean = signer.closed;

const verifier = new Verifier({ publicKey: pem, providerId, keyId });
const claims: Claims = verifier.verify(token, { nonce: 'n', now: 1700000000, leeway: 60 });
const user: string = claims.userId;
const first: string | undefined = claims.firstName;
const plan: string | undefined = claims.metadata.plan;
const expires: Date = new Date(claims.expiresAt * 1000);
const json: string = claims.json;
void verifier.verifyAsync(token).then((c: Claims) => c.nonce);

try {
  verifier.verify(token);
} catch (error) {
  if (error instanceof LayerIdentityError) {
    const code: StatusName = error.code;
    const eit: EitCode | null = error.eitCode;
    const status: number = error.status;
    void [code, eit, status, Status.LAYER_ERR_EXPIRED, Eit.eit_expired];
  }
}

const pair: KeyPair = generateKeyPair(2048);
const pairLater: Promise<KeyPair> = generateKeyPairAsync();
const oneShot: string = signToken({ privateKey: pair.privateKey, providerId, keyId, userId: 'u', nonce: 'n' });
const oneShotLater: Promise<string> = signTokenAsync({ privateKey: pair.privateKey, providerId, keyId, userId: 'u', nonce: 'n', ttl: 60 });
clearKeyCache();
const parts: { header: string; claims: string } = inspectToken(token);

const handler = identityTokenHandler({
  signer,
  authenticate: async (req: IncomingMessage, fields) => `${req.headers.cookie ?? ''}${fields.nonce}`,
  log: (message: string) => console.error(message),
});
createServer(handler).listen(8080);
createServer(identityTokenHandler({ signer, authenticate: demoAuthenticate })).listen(8081);

layer.initialize(providerId, keyId, readFileSync('key.pem'), { tokenType: 'JWT' });
const parseToken: string = layer.layerIdentityToken('user', 'nonce');

signer.close();
verifier.close();

// Wrong uses the types must refuse.
// @ts-expect-error userId is required
signer.sign({ nonce: 'n' });
// @ts-expect-error tokenType is a name
new Signer({ privateKey: '', providerId, keyId, tokenType: 1 });
// @ts-expect-error authenticate returns a user ID, not a boolean
identityTokenHandler({ signer, authenticate: () => true });
// @ts-expect-error claims are read-only
claims.userId = 'mallory';
// @ts-expect-error ttl is a number of seconds
signer.sign({ userId: 'u', nonce: 'n', ttl: '600' });

export { bigints, later, closed, user, first, plan, expires, json, pairLater, oneShot, oneShotLater, parts, parseToken, version, abiVersion };
