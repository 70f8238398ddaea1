/**
 * Two-person approval over the management API (issue 11 item 5): list and show requests
 * (with their plan), approve or deny as the signed-in person (never the requester), and the
 * signed one-time links a notification carries: GET shows what the link would do without
 * spending it (so a chat preview cannot approve), POST spends it.
 */
import { z } from 'zod';
import { ConfigError, NotFoundError } from '../../core/errors.js';
import type { ApprovalRequestRecord } from '../../store/approval-store-types.js';
import { readApprovalLink, redeemApprovalLink } from '../../team/approval-link.js';
import { decideApproval } from '../../team/approval-service.js';
import { defineRoute, type ApiRoute } from '../api/api-route.js';
import type { ApiServices } from '../api/api-services.js';

const STATUSES = ['pending', 'approved', 'denied', 'expired', 'executed'] as const;

const approvalSchema = z
  .object({
    id: z.string(),
    policy: z.string(),
    capability: z.string(),
    on: z.string(),
    plan: z.record(z.string(), z.unknown()),
    reason: z.string().nullable(),
    requester: z.string(),
    approvalsRequired: z.number().int(),
    status: z.enum(STATUSES),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
    decisions: z.array(z.object({ approver: z.string(), decision: z.enum(['approve', 'deny']), via: z.string(), comment: z.string().nullable(), at: z.iso.datetime() })),
  })
  .meta({ id: 'Approval' });

const idParams = z.object({ id: z.string().min(1).max(100) });
const tokenParams = z.object({ token: z.string().min(10).max(2000) });
const decisionBody = z.object({ comment: z.string().max(500).optional() }).strict().meta({ id: 'ApprovalDecision' });

export function approvalApiRoutes(services: ApiServices): ApiRoute[] {
  const { store } = services;
  async function wire(request: ApprovalRequestRecord): Promise<z.infer<typeof approvalSchema>> {
    const decisions = await store.listApprovalDecisions(request.id);
    return {
      id: request.id, policy: request.policy, capability: request.capability, on: request.target.kind === 'install' ? 'this install' : request.target.name, plan: request.plan, reason: request.reason,
      requester: request.requester, approvalsRequired: request.approvalsRequired, status: request.status, createdAt: request.createdAt.toISOString(), expiresAt: request.expiresAt.toISOString(),
      decisions: decisions.map((decision) => ({ approver: decision.approver, decision: decision.decision, via: decision.via, comment: decision.comment, at: decision.at.toISOString() })),
    };
  }
  async function requestNamed(id: string): Promise<ApprovalRequestRecord> {
    const request = await store.getApprovalRequest(id);
    if (request === undefined) throw new NotFoundError(`no approval request ${id}`);
    return request;
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
        const deps = { store, audit: actor.audit, clock: services.clock, actor: actor.name, integrity: services.integrity };
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
