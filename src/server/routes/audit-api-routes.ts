/** The audit log over the management API (`read-audit`, install-wide): list and verify. */
import { z } from 'zod';
import { INSTALL_TARGET } from '../../team/access-control.js';
import { defineRoute, type ApiRoute } from '../api/api-route.js';
import type { ApiServices } from '../api/api-services.js';
import { auditEventSchema, auditEventWire } from '../api/api-schemas.js';

export function auditApiRoutes(services: ApiServices): ApiRoute[] {
  const access = async () => ({ capability: 'read-audit' as const, target: INSTALL_TARGET });
  return [
    defineRoute({
      method: 'get',
      path: '/v1/audit',
      operationId: 'audit-list',
      summary: 'Audit events, oldest first (with limit: the newest that many)',
      tag: 'audit',
      query: z.object({ credential: z.string().optional(), limit: z.coerce.number().int().min(0).optional() }).strict(),
      response: z.array(auditEventSchema),
      access,
      async handle({ query }) {
        const events = await services.audit.list(query.credential === undefined ? {} : { credential: query.credential });
        return (query.limit === undefined ? events : events.slice(-query.limit)).map(auditEventWire);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/audit/verify',
      operationId: 'audit-verify',
      summary: 'Check the hash chain; names the first bad event',
      tag: 'audit',
      response: z.union([z.object({ ok: z.literal(true), count: z.number().int() }).loose(), z.object({ ok: z.literal(false), seq: z.number().int(), reason: z.string() }).loose()]).meta({ id: 'AuditVerifyResult' }),
      access,
      async handle() {
        return services.audit.verify();
      },
    }),
  ];
}
