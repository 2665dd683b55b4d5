// Compiled by `tsc --strict --noEmit`: the ES module entry points' types. Never run.
import layerIdentity, { Signer, type Claims } from 'layer-identity';
import layer, { initialize, layerIdentityToken } from 'layer-identity/parse';

const signer: Signer = new layerIdentity.Signer({ privateKey: '', providerId: 'p', keyId: 'k' });
const token: Promise<string> = signer.signAsync({ userId: 'u', nonce: 'n' });
const verify = (c: Claims): number => c.expiresAt - c.issuedAt;
initialize('p', 'k', Buffer.from(''));
const parsed: string = layerIdentityToken('u', 'n') + layer.layerKeyID;

export { token, verify, parsed };
