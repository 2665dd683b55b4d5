// Type definitions for layer-identity/parse, the drop-in for Layer's Parse Cloud Code module.
/// <reference types="node" />

declare const layer: layer.LayerParseModule;

declare namespace layer {
  interface ParseModuleOptions {
    /** The header's `typ`: 'JWS' (the default, as the original module) or 'JWT'. */
    tokenType?: 'JWS' | 'JWT';
    /** The passphrase of an encrypted key. */
    passphrase?: string | Buffer | null;
    /** Admit a legacy 1024-bit key (early Layer accounts). */
    allow1024BitKey?: boolean;
  }

  interface LayerParseModule {
    /** Throws 'Missing providerID parameter', 'Missing keyID parameter' or 'Missing private key parameter'. */
    initialize(providerID: string, keyID: string, privateKey: string | Buffer, options?: ParseModuleOptions): LayerParseModule;
    /** The identity token for `userID` answering `nonce`. */
    layerIdentityToken(userID: string, nonce: string): string;
    /** The same token, signed on the libuv thread pool. */
    layerIdentityTokenAsync(userID: string, nonce: string): Promise<string>;
    readonly layerProviderID: string;
    readonly layerKeyID: string;
  }
}

export = layer;
