/**
 * Two-person approval over the management API (issue 11 item 5): list and show requests
 * (with their plan), approve or deny as the signed-in person (never the requester), and the
 * signed one-time links a notification carries: GET shows what the link would do without
 * spending it (so a chat preview cannot approve), POST spends it.
 */
import { z } from 'zod';
import { ConfigError, NotFoundError, UsageError } from '../../core/errors.js';
import { CAPABILITIES, isInstallCapability, type ActionTarget } from '../../core/team-types.js';
import type { ApprovalRequestRecord } from '../../store/approval-store-types.js';
import { INSTALL_TARGET } from '../../team/access-control.js';
import { approvalLinksFor, readApprovalLink, redeemApprovalLink } from '../../team/approval-link.js';
import { createApprovalRequest, decideApproval, governingPolicy } from '../../team/approval-service.js';
import { STEP_UP_WINDOW_SECONDS, freshMfa } from '../../team/step-up.js';
import { ApiHttpError } from '../api/api-errors.js';
import type { ApiActor } from '../api/api-actor.js';
import { defineRoute, type ApiRoute } from '../api/api-route.js';
import { credentialTargetNamed, type ApiServices } from '../api/api-services.js';
import { approvalRequestWire, approvalRequestSchema } from '../api/api-schemas.js';

const STATUSES = ['pending', 'approved', 'denied', 'expired', 'executed'] as const;

const approvalSchema = approvalRequestSchema
  .extend({
    on: z.string(),
    decisions: z.array(z.object({ approver: z.string(), decision: z.enum(['approve', 'deny']), via: z.string(), comment: z.string().nullable(), at: z.iso.datetime() })),
  })
  .meta({ id: 'Approval' });
export type ApprovalWire = z.infer<typeof approvalSchema>;
export { approvalSchema };

const requestBody = z
  .object({
    capability: z.enum(CAPABILITIES),
    credential: z.string().min(1).max(200).optional().describe('the credential it acts on (absent: an install-wide capability)'),
    parameters: z.record(z.string(), z.string()).optional(),
    reason: z.string().max(500).optional(),
  })
  .strict()
  .meta({ id: 'ApprovalRequestAdd' });
const linkBody = z.object({ approver: z.string().min(1).max(64) }).strict().meta({ id: 'ApprovalLinkAdd' });

const idParams = z.object({ id: z.string().min(1).max(100) });
const tokenParams = z.object({ token: z.string().min(10).max(2000) });
const decisionBody = z.object({ comment: z.string().max(500).optional() }).strict().meta({ id: 'ApprovalDecision' });

export function approvalApiRoutes(services: ApiServices): ApiRoute[] {
  const { store } = services;
  async function wire(request: ApprovalRequestRecord): Promise<z.infer<typeof approvalSchema>> {
    const decisions = await store.listApprovalDecisions(request.id);
    return {
      ...approvalRequestWire(request),
      on: request.target.kind === 'install' ? 'this install' : request.target.name,
      decisions: decisions.map((decision) => ({ approver: decision.approver, decision: decision.decision, via: decision.via, comment: decision.comment, at: decision.at.toISOString() })),
    };
  }
  async function requestNamed(id: string): Promise<ApprovalRequestRecord> {
    const request = await store.getApprovalRequest(id);
    if (request === undefined) throw new NotFoundError(`no approval request ${id}`);
    return request;
  }
  const teamOf = (actor: ApiActor) => ({ store, audit: actor.audit, clock: services.clock, actor: actor.name, integrity: services.integrity });
  async function actionTarget(capability: (typeof CAPABILITIES)[number], credential: string | undefined): Promise<ActionTarget> {
    if (credential === undefined) {
      if (!isInstallCapability(capability)) throw new UsageError(`${capability} acts on a credential: name it with credential`);
      return { kind: 'install' };
    }
    const found = await store.getCredential(credential);
    if (found === undefined) throw new NotFoundError(`no credential named ${credential}`);
    return { kind: 'credential', credentialId: found.id, name: found.name, environment: found.environment, provider: found.provider, ownerTeam: found.tags.team ?? null };
  }
  const linkKey = (): Buffer => {
    if (services.team === undefined) throw new ConfigError('this server was started without approval links');
    return services.team.linkKey;
  };
  const decide = (decision: 'approve' | 'deny') =>
    defineRoute({
      method: 'post',
      path: `/v1/approvals/{id}/${decision}`,
      operationId: `approval-${decision}`,
      summary: `${decision === 'approve' ? 'Approve' : 'Deny'} a request as the signed-in person (not its requester; the policy's group or role and the approve capability on the credential)`,
      tag: 'approvals',
      params: idParams,
      body: decisionBody,
      response: approvalSchema,
      async handle({ actor, params, body }) {
        // Approving is the approver's own act: like the requester's production action, it needs their fresh MFA proof.
        if (decision === 'approve' && freshMfa(actor.session, services.clock.now()) === null) {
          throw new ApiHttpError(403, 'step-up-required', `approving ${params.id} needs a fresh MFA proof from ${actor.user.name} (within ${STEP_UP_WINDOW_SECONDS / 60} minutes)`);
        }
        const deps = teamOf(actor);
        return wire(await decideApproval(deps, { requestId: params.id, approver: actor.user.name, decision, via: 'api', comment: body.comment }));
      },
    });
  return [
    defineRoute({
      method: 'get',
      path: '/v1/approvals',
      operationId: 'approval-list',
      summary: 'Approval requests, newest first',
      tag: 'approvals',
      query: z.object({ status: z.enum(STATUSES).optional() }),
      response: z.object({ approvals: z.array(approvalSchema) }),
      async handle({ query }) {
        const requests = await store.listApprovalRequests(query.status === undefined ? {} : { status: query.status });
        return { approvals: await Promise.all(requests.map(wire)) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/approvals/{id}',
      operationId: 'approval-show',
      summary: 'One request: what will run (plan), who asked, who decided',
      tag: 'approvals',
      params: idParams,
      response: approvalSchema,
      handle: async ({ params }) => wire(await requestNamed(params.id)),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/approvals',
      operationId: 'approval-request',
      summary: 'Ask in advance for an action a policy covers, as the signed-in person (who must hold the capability on the target)',
      tag: 'approvals',
      body: requestBody,
      response: approvalSchema,
      status: 201,
      async handle({ actor, body }) {
        // The role check only: the gates (step-up, approval) are what this request is for.
        const authorization = body.credential === undefined ? INSTALL_TARGET : await credentialTargetNamed(store, body.credential);
        const allowed = await services.access.check(actor.user, body.capability, authorization);
        if (!allowed.allowed) throw new ApiHttpError(403, 'forbidden', `${allowed.reason} (needs capability ${body.capability} on ${authorization.kind === 'install' ? 'install' : authorization.name})`);
        const target = await actionTarget(body.capability, body.credential);
        const deps = teamOf(actor);
        const governing = await governingPolicy(deps, body.capability, target);
        if (governing === null) throw new UsageError(`no approval policy covers ${body.capability} on ${body.credential ?? 'this install'}; nothing to ask for`);
        const parameters = body.parameters ?? {};
        const plan = { action: `${body.capability} ${target.kind === 'install' ? 'on this install' : target.name}`, parameters };
        return wire(await createApprovalRequest(deps, governing, { requester: actor.user.name, capability: body.capability, target, parameters, plan, reason: body.reason }));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/approvals/{id}/links',
      operationId: 'approval-link-create',
      summary: 'Signed one-time approve and deny link tokens for one approver (POST /v1/approvals/links/{token} spends one); manage-policy, install-wide',
      tag: 'approvals',
      params: idParams,
      body: linkBody,
      response: z.object({ approve: z.string(), deny: z.string() }).meta({ id: 'ApprovalLinks' }),
      status: 201,
      access: async () => ({ capability: 'manage-policy' as const, target: INSTALL_TARGET }),
      async handle({ params, body }) {
        const request = await requestNamed(params.id);
        if (request.requester === body.approver) throw new UsageError(`${body.approver} asked for ${params.id}; links go to another person`);
        return approvalLinksFor(linkKey(), request, body.approver);
      },
    }),
    decide('approve'),
    decide('deny'),
    defineRoute({
      method: 'get',
      path: '/v1/approvals/links/{token}',
      operationId: 'approval-link-show',
      summary: 'What a signed one-time link would do (not spent: POST the same URL to confirm)',
      tag: 'approvals',
      auth: 'none',
      params: tokenParams,
      response: z.object({ approver: z.string(), decision: z.enum(['approve', 'deny']), expiresAt: z.iso.datetime(), approval: approvalSchema }),
      async handle({ params }) {
        const claims = readApprovalLink(linkKey(), params.token, services.clock.now());
        return { approver: claims.approver, decision: claims.decision, expiresAt: claims.expiresAt.toISOString(), approval: await wire(await requestNamed(claims.requestId)) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/approvals/links/{token}',
      operationId: 'approval-link-redeem',
      summary: 'Spend a signed one-time link: records its decision for its approver; a replay is refused',
      tag: 'approvals',
      auth: 'none',
      params: tokenParams,
      response: approvalSchema,
      async handle({ params }) {
        return wire(await redeemApprovalLink({ store, audit: services.audit, clock: services.clock, actor: 'link', integrity: services.integrity, linkKey: linkKey() }, params.token));
      },
    }),
  ];
}
