/**
 * A person's own MFA over the management API (issue 11 item 4): TOTP enrolment (the
 * otpauth URI is in this one response, for the person's app), confirmation with the
 * recovery codes (shown once), new recovery codes, status, and the step-up that records a
 * fresh proof on the session for production actions.
 */
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { z } from 'zod';
import { ConfigError } from '../../core/errors.js';
import { confirmTotp, enrollTotp, mfaStatus, regenerateRecoveryCodes, type MfaDeps } from '../../team/mfa-service.js';
import { STEP_UP_WINDOW_SECONDS, stepUpSession } from '../../team/step-up.js';
import { stepUpWithPasskey } from '../../team/webauthn-service.js';
import type { ApiActor } from '../api/api-actor.js';
import { defineRoute, type ApiRoute } from '../api/api-route.js';
import type { ApiServices } from '../api/api-services.js';
import { authenticationResponseSchema, passkeyDeps } from './passkey-api-routes.js';

const codeBody = z.object({ totp: z.string().min(1).max(64).optional(), recoveryCode: z.string().min(1).max(64).optional() }).strict().meta({ id: 'MfaProof' });
const stepUpBody = z
  .object({
    totp: z.string().min(1).max(64).optional(),
    recoveryCode: z.string().min(1).max(64).optional(),
    webauthn: authenticationResponseSchema.optional().describe('a passkey assertion for the options of POST /v1/auth/passkey/step-up-options'),
  })
  .strict()
  .meta({ id: 'StepUpProof' });
const recoveryCodesSchema = z.object({ recoveryCodes: z.array(z.string()).describe('each works once; shown only in this response') }).meta({ id: 'RecoveryCodes' });

function codeOf(body: z.infer<typeof codeBody>): string {
  return body.totp ?? body.recoveryCode ?? '';
}

export function mfaApiRoutes(services: ApiServices): ApiRoute[] {
  const deps = (actor: ApiActor): MfaDeps => {
    if (services.team === undefined) throw new ConfigError('this server was started without MFA support');
    return { store: services.store, audit: actor.audit, clock: services.clock, actor: actor.name, integrity: services.integrity, envelope: services.team.envelope };
  };
  const passkeyStepUp = (actor: ApiActor, response: AuthenticationResponseJSON) => {
    const webauthn = passkeyDeps(services, actor);
    if (webauthn === undefined) throw new ConfigError('this server has no public URL, which passkeys are bound to', { hint: 'start rekey serve with --public-url' });
    return stepUpWithPasskey(webauthn, actor.session, actor.user, response);
  };
  return [
    defineRoute({
      method: 'get',
      path: '/v1/mfa',
      operationId: 'mfa-status',
      summary: 'Whether this person has TOTP enrolled and how many recovery codes are left',
      tag: 'mfa',
      response: z.object({ user: z.string(), totp: z.enum(['none', 'pending', 'confirmed']), recoveryCodesLeft: z.number().int() }).meta({ id: 'MfaStatus' }),
      handle: ({ actor }) => mfaStatus(services, actor.user.name),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/mfa/totp',
      operationId: 'mfa-enroll',
      summary: 'Start TOTP enrolment for this person: the otpauth URI and secret for their app (shown once)',
      tag: 'mfa',
      status: 201,
      response: z.object({ uri: z.string(), secret: z.string() }).meta({ id: 'TotpEnrolment' }),
      async handle({ actor }) {
        const enrolment = await enrollTotp(deps(actor), actor.user.name);
        return { uri: enrolment.uri, secret: enrolment.secret };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/mfa/totp/confirm',
      operationId: 'mfa-confirm',
      summary: 'Confirm TOTP enrolment with a first code; returns the one-time recovery codes',
      tag: 'mfa',
      body: codeBody,
      response: recoveryCodesSchema,
      async handle({ actor, body }) {
        return { recoveryCodes: (await confirmTotp(deps(actor), actor.user.name, codeOf(body))).recoveryCodes };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/mfa/recovery-codes',
      operationId: 'mfa-recovery-codes',
      summary: 'Replace the recovery codes after a current code (the old ones stop working)',
      tag: 'mfa',
      body: codeBody,
      response: recoveryCodesSchema,
      async handle({ actor, body }) {
        return { recoveryCodes: await regenerateRecoveryCodes(deps(actor), actor.user.name, codeOf(body)) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/auth/step-up',
      operationId: 'session-step-up',
      summary: `Record a fresh MFA proof on this session: production reveal, rotate, emergency, end grace, token creation and master-key rotation need one from the last ${STEP_UP_WINDOW_SECONDS / 60} minutes`,
      tag: 'auth',
      body: stepUpBody,
      response: z.object({ method: z.string(), at: z.iso.datetime(), validUntil: z.iso.datetime() }).meta({ id: 'StepUp' }),
      async handle({ actor, body }) {
        const { method, at } = body.webauthn === undefined ? await stepUpSession(deps(actor), actor.session, actor.user.name, codeOf(body)) : await passkeyStepUp(actor, body.webauthn as AuthenticationResponseJSON);
        return { method, at: at.toISOString(), validUntil: new Date(at.getTime() + STEP_UP_WINDOW_SECONDS * 1000).toISOString() };
      },
    }),
  ];
}
