/**
 * Passkeys over the management API (issue 11 item 4): a signed-in person asks for
 * registration options (after a fresh MFA proof, or their password when they have no MFA
 * yet), registers the browser's answer, lists and removes their own passkeys; anyone asks
 * for sign-in options and signs in with a discoverable passkey alone (passwordless) or
 * passes one as `mfa.webauthn` to `POST /v1/auth/login`; a session asks for step-up
 * options and passes the answer to `POST /v1/auth/step-up` as `webauthn`. The browser
 * screen that calls these is the dashboard's (/ui/); the CLI cannot hold a passkey.
 */
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { z } from 'zod';
import { ConfigError, UsageError } from '../../core/errors.js';
import type { PasskeyRecord } from '../../store/passkey-store-types.js';
import { freshMfa } from '../../team/step-up.js';
import {
  finishPasskeyRegistration,
  listPasskeys,
  passkeyIntact,
  passkeyLogin,
  removePasskey,
  startPasskeyAssertion,
  startPasskeyRegistration,
  type WebauthnDeps,
} from '../../team/webauthn-service.js';
import type { ApiActor } from '../api/api-actor.js';
import { UnauthorizedError } from '../api/api-errors.js';
import { defineRoute, type ApiRoute } from '../api/api-route.js';
import type { ApiServices } from '../api/api-services.js';
import { loginResponseSchema, sessionWire } from './auth-api-routes.js';
import { userWire } from '../api/api-schemas.js';

const base64url = z.string().max(16_384).regex(/^[A-Za-z0-9_-]*$/, 'must be base64url');

/** `navigator.credentials.create()` as JSON (PublicKeyCredential.toJSON()). */
export const registrationResponseSchema = z
  .object({
    id: base64url,
    rawId: base64url,
    type: z.literal('public-key'),
    response: z.looseObject({ clientDataJSON: base64url, attestationObject: base64url, transports: z.array(z.string().max(32)).max(10).optional() }),
    authenticatorAttachment: z.string().max(32).optional(),
    clientExtensionResults: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'PasskeyRegistrationResponse' });

/** `navigator.credentials.get()` as JSON. */
export const authenticationResponseSchema = z
  .object({
    id: base64url,
    rawId: base64url,
    type: z.literal('public-key'),
    response: z.object({ clientDataJSON: base64url, authenticatorData: base64url, signature: base64url, userHandle: base64url.optional() }),
    authenticatorAttachment: z.string().max(32).optional(),
    clientExtensionResults: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'PasskeyAssertion' });

const descriptor = z.object({ id: z.string(), type: z.string(), transports: z.array(z.string()).optional() });

const creationOptionsSchema = z
  .object({
    challenge: z.string(),
    rp: z.object({ id: z.string().optional(), name: z.string() }),
    user: z.object({ id: z.string(), name: z.string(), displayName: z.string() }),
    pubKeyCredParams: z.array(z.object({ alg: z.number(), type: z.string() })),
    timeout: z.number().optional(),
    excludeCredentials: z.array(descriptor).optional(),
    authenticatorSelection: z.object({ authenticatorAttachment: z.string().optional(), requireResidentKey: z.boolean().optional(), residentKey: z.string().optional(), userVerification: z.string().optional() }).optional(),
    hints: z.array(z.string()).optional(),
    attestation: z.string().optional(),
    attestationFormats: z.array(z.string()).optional(),
    extensions: z.record(z.string(), z.unknown()).optional(),
  })
  .describe('PublicKeyCredentialCreationOptionsJSON: pass to PublicKeyCredential.parseCreationOptionsFromJSON, then navigator.credentials.create')
  .meta({ id: 'PasskeyCreationOptions' });

const requestOptionsSchema = z
  .object({
    challenge: z.string(),
    rpId: z.string().optional(),
    timeout: z.number().optional(),
    allowCredentials: z.array(descriptor).optional(),
    userVerification: z.string().optional(),
    hints: z.array(z.string()).optional(),
    extensions: z.record(z.string(), z.unknown()).optional(),
  })
  .describe('PublicKeyCredentialRequestOptionsJSON: pass to PublicKeyCredential.parseRequestOptionsFromJSON, then navigator.credentials.get')
  .meta({ id: 'PasskeyRequestOptions' });

export const passkeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime().nullable(),
    deviceType: z.enum(['singleDevice', 'multiDevice']),
    backedUp: z.boolean(),
    transports: z.array(z.string()),
    rpId: z.string(),
    flagged: z.string().nullable().describe('why the passkey is refused (its counter went backwards), or null'),
    intact: z.boolean().describe('false when the row fails its integrity check (it is refused)'),
  })
  .meta({ id: 'Passkey' });

export type PasskeyWire = z.infer<typeof passkeySchema>;

export function passkeyWire(passkey: PasskeyRecord, intact: boolean): PasskeyWire {
  return {
    id: passkey.id,
    name: passkey.name,
    createdAt: passkey.createdAt.toISOString(),
    lastUsedAt: passkey.lastUsedAt?.toISOString() ?? null,
    deviceType: passkey.deviceType,
    backedUp: passkey.backedUp,
    transports: passkey.transports,
    rpId: passkey.rpId,
    flagged: passkey.flaggedAt === null ? null : `${passkey.flagReason ?? 'flagged'} (${passkey.flaggedAt.toISOString()})`,
    intact,
  };
}

type CreationOptionsWire = z.infer<typeof creationOptionsSchema>;
type RequestOptionsWire = z.infer<typeof requestOptionsSchema>;

/** The library's option types have no index signatures for extensions; on the wire they are plain JSON. */
const creationWire = async (options: Promise<unknown>) => (await options) as CreationOptionsWire;
const requestWire = async (options: Promise<unknown>) => (await options) as RequestOptionsWire;

const idParams = z.object({ id: base64url.min(1).max(1024) });

export function passkeyApiRoutes(services: ApiServices): ApiRoute[] {
  const deps = (actor: ApiActor | undefined): WebauthnDeps => {
    if (services.webauthn === undefined) {
      throw new ConfigError('this server has no public URL, which passkeys are bound to', { hint: 'start rekey serve with --public-url https://HOST[:PORT] (http://localhost:PORT on this machine)' });
    }
    return {
      store: services.store,
      audit: actor?.audit ?? services.audit,
      clock: services.clock,
      actor: actor?.name ?? 'login',
      integrity: services.integrity,
      webauthn: services.webauthn,
    };
  };
  return [
    defineRoute({
      method: 'post',
      path: '/v1/mfa/passkeys/registration-options',
      operationId: 'passkey-registration-options',
      summary: 'Options for registering a passkey in the browser (navigator.credentials.create); needs a fresh MFA proof when this person already has MFA, else their password',
      tag: 'mfa',
      body: z.object({ password: z.string().min(1).max(1024).optional() }).strict().meta({ id: 'PasskeyRegistrationStart' }),
      response: creationOptionsSchema,
      handle: ({ actor, body }) => creationWire(startPasskeyRegistration(deps(actor), { user: actor.user, session: actor.session, password: body.password })),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/mfa/passkeys',
      operationId: 'passkey-register',
      summary: "Register the browser's answer to this session's registration options as a passkey of this person",
      tag: 'mfa',
      status: 201,
      body: z.object({ response: registrationResponseSchema, name: z.string().max(64).optional() }).strict().meta({ id: 'PasskeyRegistration' }),
      response: passkeySchema,
      async handle({ actor, body }) {
        const passkey = await finishPasskeyRegistration(deps(actor), { user: actor.user, session: actor.session, response: body.response as RegistrationResponseJSON, name: body.name });
        return passkeyWire(passkey, true);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/mfa/passkeys',
      operationId: 'passkey-list',
      summary: "This person's passkeys",
      tag: 'mfa',
      response: z.array(passkeySchema),
      async handle({ actor }) {
        return (await listPasskeys(services, actor.user)).map((passkey) => passkeyWire(passkey, passkeyIntact(services, passkey)));
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/mfa/passkeys/{id}',
      operationId: 'passkey-remove',
      summary: 'Remove one of this person\'s passkeys (needs a fresh MFA proof on the session); an admin withdraws all of them with user reset-mfa',
      tag: 'mfa',
      params: idParams,
      response: passkeySchema,
      async handle({ actor, params }) {
        if (freshMfa(actor.session, services.clock.now()) === null) {
          throw new UsageError('removing a passkey needs a fresh MFA proof on this session', { hint: 'step up first (POST /v1/auth/step-up; rekey mfa verify)' });
        }
        const removed = await removePasskey(deps(actor), actor.user, params.id);
        return passkeyWire(removed, true);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/auth/passkey/options',
      operationId: 'passkey-login-options',
      summary: 'Options for signing in with a passkey (navigator.credentials.get): for POST /v1/auth/passkey, or as mfa.webauthn of POST /v1/auth/login',
      tag: 'auth',
      auth: 'none',
      response: requestOptionsSchema,
      handle: () => requestWire(startPasskeyAssertion(deps(undefined), { purpose: 'login' })),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/auth/passkey',
      operationId: 'passkey-login',
      summary: 'Sign in with a discoverable passkey alone (it must verify the person: PIN or biometrics); the session has MFA webauthn',
      tag: 'auth',
      auth: 'none',
      status: 201,
      body: z.object({ response: authenticationResponseSchema }).strict().meta({ id: 'PasskeyLogin' }),
      response: loginResponseSchema,
      async handle({ body, source }) {
        try {
          const result = await passkeyLogin({ ...deps(undefined), ...services.sessions }, body.response as AuthenticationResponseJSON, source);
          return { token: result.token, session: sessionWire(result.session), user: userWire(result.user) };
        } catch (error) {
          if (error instanceof UsageError) throw new UnauthorizedError(error.message, 'mfa-failed');
          throw error;
        }
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/auth/passkey/step-up-options',
      operationId: 'passkey-step-up-options',
      summary: "Options for a step-up with one of this person's passkeys; the answer goes to POST /v1/auth/step-up as webauthn",
      tag: 'auth',
      response: requestOptionsSchema,
      handle: ({ actor }) => requestWire(startPasskeyAssertion(deps(actor), { purpose: 'step-up', user: actor.user, session: actor.session })),
    }),
  ];
}

/** The WebAuthn deps of a route for `actor` (the step-up route of mfa-api-routes uses it too). */
export function passkeyDeps(services: ApiServices, actor: ApiActor): WebauthnDeps | undefined {
  if (services.webauthn === undefined) return undefined;
  return { store: services.store, audit: actor.audit, clock: services.clock, actor: actor.name, integrity: services.integrity, webauthn: services.webauthn };
}
