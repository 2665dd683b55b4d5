// Type definitions for layer-identity (the Node-API bindings of the layer-identity library).
/// <reference types="node" />

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KeyObject } from 'node:crypto';

/** Key text (PEM, or base64 DER), its bytes as read from a file, or a KeyObject. */
export type KeyInput = string | Buffer | Uint8Array | KeyObject;

/** A point in time: a Date, or Unix seconds (a number, fractions floored, or a bigint); 0 is now. */
export type TimeInput = Date | number | bigint;

/** A duration in whole seconds. */
export type Seconds = number | bigint;

export interface SignerOptions {
  /** RSA private key: PEM (PKCS#1, PKCS#8, encrypted PKCS#8) or base64 DER, or a private KeyObject. */
  privateKey: KeyInput;
  /** `layer:///providers/<uuid>` or the bare UUID. */
  providerId: string;
  /** `layer:///keys/<uuid>` or the bare UUID. */
  keyId: string;
  /** The passphrase of an encrypted key. */
  passphrase?: string | Buffer | Uint8Array | null;
  /** The header's `typ`: `'JWS'` (the default) or `'JWT'`, in any letter case. */
  tokenType?: TokenType;
  /** Admit a legacy 1024-bit key (early Layer accounts). Never the default. */
  allow1024BitKey?: boolean;
}

/** `'JWS'` or `'JWT'`, in any letter case (the library's rule). */
export type TokenType = 'JWS' | 'JWT' | (string & {});

export interface FromEnvOptions {
  /** `'JWT'` forces typ JWT whatever LAYER_TOKEN_TYPE says. */
  tokenType?: TokenType;
  allow1024BitKey?: boolean;
}

export interface SignRequest {
  /** The app's user ID (the token's `prn`): a non-empty string. */
  userId: string;
  /** The nonce the Layer client SDK obtained: a non-empty string. */
  nonce: string;
  /** When the token is issued (default: now). */
  issuedAt?: TimeInput | null;
  /** Lifetime in seconds (default, and 0: 600). */
  ttl?: Seconds;
  firstName?: string | null;
  lastName?: string | null;
  displayName?: string | null;
  avatarUrl?: string | null;
  /** String values by name; the token carries them sorted by name. */
  metadata?: Readonly<Record<string, string>> | ReadonlyMap<string, string> | null;
}

export declare class Signer {
  constructor(options: SignerOptions);
  /** A signer configured by the LAYER_* environment variables (read by the library). */
  static fromEnv(options?: FromEnvOptions): Signer;
  /** Signs on the calling thread. */
  sign(request: SignRequest): string;
  /** Signs on the libuv thread pool; rejects with the same errors as sign(). */
  signAsync(request: SignRequest): Promise<string>;
  /** The SPKI public key PEM to upload to Layer. */
  publicKeyPem(): string;
  readonly closed: boolean;
  /** Releases the key; idempotent. Pending calls finish first. */
  close(): void;
}

export interface VerifierOptions {
  /** RSA public key (SPKI or PKCS#1 PEM, base64 DER), or a private key to derive it from. */
  publicKey: KeyInput;
  providerId: string;
  keyId: string;
  allow1024BitKey?: boolean;
}

export interface VerifyOptions {
  /** The nonce the token must answer; left out or null: not checked. */
  nonce?: string | null;
  /** The time to verify at (default: now). */
  now?: TimeInput | null;
  /** Allowed clock skew in seconds for `exp` and `iat` (default 60). */
  leeway?: Seconds;
}

/** The claims of a verified token (frozen). Absent attributes are absent properties. */
export interface Claims {
  readonly providerId: string;
  readonly userId: string;
  readonly nonce: string;
  /** `iat`, Unix seconds. */
  readonly issuedAt: number;
  /** `exp`, Unix seconds. */
  readonly expiresAt: number;
  readonly firstName?: string;
  readonly lastName?: string;
  readonly displayName?: string;
  readonly avatarUrl?: string;
  /** String values by name (empty when the token has none). */
  readonly metadata: Readonly<Record<string, string>>;
  /** The claims JSON exactly as signed, unknown claims included (not enumerable). */
  readonly json: string;
}

export declare class Verifier {
  constructor(options: VerifierOptions);
  verify(token: string, options?: VerifyOptions): Claims;
  verifyAsync(token: string, options?: VerifyOptions): Promise<Claims>;
  readonly closed: boolean;
  close(): void;
}

export type StatusName =
  | 'LAYER_OK'
  | 'LAYER_ERR_NULL_ARGUMENT'
  | 'LAYER_ERR_INVALID_UTF8'
  | 'LAYER_ERR_INVALID_ARGUMENT'
  | 'LAYER_ERR_INVALID_KEY'
  | 'LAYER_ERR_WEAK_KEY'
  | 'LAYER_ERR_WRONG_PASSPHRASE'
  | 'LAYER_ERR_MALFORMED_TOKEN'
  | 'LAYER_ERR_BAD_SIGNATURE'
  | 'LAYER_ERR_EXPIRED'
  | 'LAYER_ERR_NOT_YET_VALID'
  | 'LAYER_ERR_CLAIM_MISMATCH'
  | 'LAYER_ERR_CRYPTO'
  | 'LAYER_ERR_INTERNAL';

export type EitCode =
  | 'eit_wrong_jws_part_count'
  | 'eit_malformed_base64url'
  | 'eit_malformed_json'
  | 'eit_header_param_not_found'
  | 'eit_header_param_wrong_type'
  | 'eit_header_param_wrong_value'
  | 'eit_claim_not_found'
  | 'eit_claim_wrong_type'
  | 'eit_expired'
  | 'eit_not_before'
  | 'eit_key_not_found'
  | 'eit_provider_not_found'
  | 'eit_signature_verification_failed'
  | 'eit_nonce_not_found';

/** LayerStatus by name. */
export declare const Status: Readonly<Record<StatusName, number>>;
/** LayerEit by identifier. */
export declare const Eit: Readonly<Record<EitCode, number>>;

/** Every failure the library reports. */
export declare class LayerIdentityError extends Error {
  constructor(message: string, fields?: { status?: number; code?: StatusName | string; eitCode?: EitCode | string | null });
  /** The status name, e.g. 'LAYER_ERR_EXPIRED'. */
  readonly code: StatusName;
  /** The status number. */
  readonly status: number;
  /** Layer's identifier of the verifier rule the token broke, or null. */
  readonly eitCode: EitCode | null;
}

export interface KeyPair {
  /** PKCS#8 PEM. */
  privateKey: string;
  /** SPKI PEM: upload it to Layer. */
  publicKey: string;
}

/** An RSA key pair of `bits` (default 2048, at least 2048). */
export declare function generateKeyPair(bits?: number): KeyPair;
export declare function generateKeyPairAsync(bits?: number): Promise<KeyPair>;

export interface SignTokenRequest {
  privateKey: KeyInput;
  providerId: string;
  keyId: string;
  userId: string;
  nonce: string;
  issuedAt?: TimeInput | null;
  ttl?: Seconds;
}

/** One token from the key text (decoded keys are cached, up to 8); default options. */
export declare function signToken(request: SignTokenRequest): string;
export declare function signTokenAsync(request: SignTokenRequest): Promise<string>;
/** Empties signToken()'s key cache. */
export declare function clearKeyCache(): void;
/** Decodes a token WITHOUT verifying it: its header and claims JSON texts. */
export declare function inspectToken(token: string): { header: string; claims: string };

/**
 * The checked fields of an identity-token request, given to `authenticate`: those the body
 * has, under the contract's rules (the library's). Pass it on as it is to demoAuthenticate.
 */
export interface IdentityTokenFields {
  readonly nonce: string;
  readonly firstName?: string;
  readonly lastName?: string;
  readonly displayName?: string;
  readonly avatarUrl?: string;
  /** The body's `user_id` when it passes the field rules: what the client CLAIMS, untrusted. */
  readonly userId?: string;
}

/**
 * What `authenticate` returns: the user ID (a non-empty string, or an integer written in
 * decimal: a safe integer or a bigint) → 200; nothing (null, undefined, '') → 401. Throwing
 * or rejecting is 401 too (logged); any other value is the application's bug, 500.
 */
export type UserId = string | number | bigint;
export type AuthenticateResult = UserId | null | undefined;

/** Your session check: the user of `request`, from your own session, cookie or token. */
export type Authenticate<Request = IncomingMessage, Context = undefined> = (
  request: Request,
  fields: IdentityTokenFields,
  context: Context,
) => AuthenticateResult | PromiseLike<AuthenticateResult>;

/** One line per failure worth knowing (a 401's or a 500's cause, an aborted request). */
export type LogFunction = (message: string) => void;

export interface IdentityTokenHandlerOptions<Req extends IncomingMessage = IncomingMessage> {
  /** Signs the tokens (on the libuv thread pool). */
  signer: Signer;
  /** The user ID of the request's authenticated user (see AuthenticateResult). */
  authenticate: Authenticate<Req>;
  /** Where failures are described, one line each (default: console.error). */
  log?: LogFunction;
}

export type IdentityTokenHandler<Req extends IncomingMessage = IncomingMessage> = (
  req: Req,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void;

/**
 * The identity-token endpoint (POST /identity-token, GET /healthz) for node:http, and Express
 * or Connect middleware. In Express, name the request type so that authenticate sees yours:
 * `identityTokenHandler<express.Request>({ ... authenticate: (req) => req.user?.id })`.
 */
export declare function identityTokenHandler<Req extends IncomingMessage = IncomingMessage>(
  options: IdentityTokenHandlerOptions<Req>,
): IdentityTokenHandler<Req>;
export declare namespace identityTokenHandler {
  /** Trusts the body's user_id: for demos only. */
  const demoAuthenticate: DemoAuthenticate;
}

export interface IdentityTokenFetchHandlerOptions<Context = unknown> {
  signer: Signer;
  /** Gets the Request and the handler's second argument (Next.js: the route context; Hono: c). */
  authenticate: Authenticate<Request, Context>;
  /** The path the handler is mounted under, taken off the request's path (e.g. '/api/layer'). */
  prefix?: string;
  log?: LogFunction;
}

/**
 * The identity-token endpoint as a fetch-style handler, for Next.js route handlers, Hono and
 * other servers built on the Web's Request and Response.
 */
export declare function identityTokenFetchHandler<Context = unknown>(
  options: IdentityTokenFetchHandlerOptions<Context>,
): (request: Request, context?: Context) => Promise<Response>;
export declare namespace identityTokenFetchHandler {
  const demoAuthenticate: DemoAuthenticate;
}

/** The demo authenticator's type: any request, the endpoint's fields. */
export type DemoAuthenticate = (request: unknown, fields: IdentityTokenFields) => string;
/**
 * Trusts the body's `user_id` (under the field rules; its refusal is 400): ANY client gets a
 * token for ANY user. For demos only; replace it with your own session check.
 */
export declare const demoAuthenticate: DemoAuthenticate;

/** The library's version, e.g. '0.1.0'. */
export declare const version: string;
/** The library's C ABI version. */
export declare const abiVersion: number;
/** The verifier's default leeway, in seconds (60). */
export declare const DEFAULT_LEEWAY: number;
