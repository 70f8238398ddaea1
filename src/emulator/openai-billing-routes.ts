/**
 * Spend alerts (`/v1/organization/spend_alerts` and `/projects/{id}/spend_alerts`: list,
 * create, get, update, delete) and organisation certificates (`/certificates`: list,
 * upload, get, rename, delete, activate, deactivate), shaped as the official schemas.
 * An uploaded certificate must look like PEM; its validity is one year from upload
 * (UNCONFIRMED upstream: the real API reads it from the certificate).
 */
import { Hono, type Context } from 'hono';
import { BadRequest, optionalString, readJsonObject, requiredString } from './emulator-http.js';
import type { EmulatedCertificate, EmulatedSpendAlert } from './emulator-state.js';
import { openaiNotFound, type EmulatorDeps, type OpenAIEnv } from './openai-auth.js';
import { listEnvelope, seconds } from './openai-objects.js';

const YEAR_MS = 365 * 86_400_000;

function spendAlertObject(alert: EmulatedSpendAlert) {
  return {
    id: alert.id,
    object: alert.projectId === null ? 'organization.spend_alert' : 'project.spend_alert',
    threshold_amount: alert.thresholdAmount,
    currency: 'USD',
    interval: 'month',
    notification_channel: { type: 'email', recipients: alert.recipients, subject_prefix: alert.subjectPrefix },
  };
}

/** Reads `threshold_amount` and `notification_channel`; `partial` for an update. */
function readSpendAlert(body: Record<string, unknown>, partial: boolean): Partial<Pick<EmulatedSpendAlert, 'thresholdAmount' | 'recipients' | 'subjectPrefix'>> {
  const result: Partial<Pick<EmulatedSpendAlert, 'thresholdAmount' | 'recipients' | 'subjectPrefix'>> = {};
  const threshold = body['threshold_amount'];
  if (threshold !== undefined || !partial) {
    if (typeof threshold !== 'number' || !Number.isInteger(threshold) || threshold < 0) throw new BadRequest("Invalid 'threshold_amount': expected a non-negative integer.", 'threshold_amount');
    result.thresholdAmount = threshold;
  }
  for (const [field, expected] of [['currency', 'USD'], ['interval', 'month']] as const) {
    if ((body[field] !== undefined || !partial) && body[field] !== expected) throw new BadRequest(`Invalid '${field}': expected '${expected}'.`, field);
  }
  const channel = body['notification_channel'];
  if (channel !== undefined || !partial) {
    const value = (channel ?? {}) as Record<string, unknown>;
    const recipients = value['recipients'];
    if (value['type'] !== 'email' || !Array.isArray(recipients) || !recipients.every((recipient) => typeof recipient === 'string' && recipient.includes('@'))) {
      throw new BadRequest("Invalid 'notification_channel': expected {type: 'email', recipients: [addresses]}.", 'notification_channel');
    }
    result.recipients = recipients as string[];
    result.subjectPrefix = typeof value['subject_prefix'] === 'string' ? value['subject_prefix'] : null;
  }
  return result;
}

function certificateObject(certificate: EmulatedCertificate, object: 'certificate' | 'organization.certificate') {
  return {
    object,
    id: certificate.id,
    name: certificate.name,
    created_at: seconds(certificate.createdAt),
    certificate_details: { valid_at: seconds(certificate.validAt), expires_at: seconds(certificate.expiresAt) },
    active: certificate.active,
  };
}

export function createOpenAIBillingRoutes(deps: EmulatorDeps): Hono<OpenAIEnv> {
  const { state } = deps;
  const app = new Hono<OpenAIEnv>();
  const alerts = () => (state.data.spendAlerts ??= []);
  const certificates = () => (state.data.certificates ??= []);

  /** Project alerts when the route has a project id (404 when unknown), else organisation ones. */
  const scopeOf = (context: Context<OpenAIEnv>): string | null | undefined => {
    const projectId = context.req.param('project_id');
    if (projectId === undefined) return null;
    return state.findProject(projectId) === undefined ? undefined : projectId;
  };
  for (const prefix of ['', '/projects/:project_id']) {
    const notFoundProject = (context: Context<OpenAIEnv>) => openaiNotFound(context, 'project', context.req.param('project_id') ?? '');
    const findAlert = (context: Context<OpenAIEnv>, scope: string | null) => alerts().find((alert) => alert.projectId === scope && alert.id === context.req.param('alert_id'));

    app.get(`${prefix}/spend_alerts`, (context) => {
      const scope = scopeOf(context);
      if (scope === undefined) return notFoundProject(context);
      const items = alerts().filter((alert) => alert.projectId === scope);
      return context.json(listEnvelope(context, context.req.query('order') === 'desc' ? [...items].reverse() : items, (alert) => alert.id, spendAlertObject));
    });
    app.post(`${prefix}/spend_alerts`, async (context) => {
      const scope = scopeOf(context);
      if (scope === undefined) return notFoundProject(context);
      const fields = readSpendAlert(await readJsonObject(context), false);
      const alert: EmulatedSpendAlert = { id: `spend_alert_${state.ids.alphanumeric(20)}`, projectId: scope, thresholdAmount: fields.thresholdAmount ?? 0, recipients: fields.recipients ?? [], subjectPrefix: fields.subjectPrefix ?? null };
      alerts().push(alert);
      return context.json(spendAlertObject(alert));
    });
    app.get(`${prefix}/spend_alerts/:alert_id`, (context) => {
      const scope = scopeOf(context);
      if (scope === undefined) return notFoundProject(context);
      const alert = findAlert(context, scope);
      return alert === undefined ? openaiNotFound(context, 'spend alert', context.req.param('alert_id')) : context.json(spendAlertObject(alert));
    });
    app.post(`${prefix}/spend_alerts/:alert_id`, async (context) => {
      const scope = scopeOf(context);
      if (scope === undefined) return notFoundProject(context);
      const alert = findAlert(context, scope);
      if (alert === undefined) return openaiNotFound(context, 'spend alert', context.req.param('alert_id'));
      Object.assign(alert, readSpendAlert(await readJsonObject(context), true));
      return context.json(spendAlertObject(alert));
    });
    app.delete(`${prefix}/spend_alerts/:alert_id`, (context) => {
      const scope = scopeOf(context);
      if (scope === undefined) return notFoundProject(context);
      const alert = findAlert(context, scope);
      if (alert === undefined) return openaiNotFound(context, 'spend alert', context.req.param('alert_id'));
      state.data.spendAlerts = alerts().filter((candidate) => candidate !== alert);
      return context.json({ id: alert.id, object: scope === null ? 'organization.spend_alert.deleted' : 'project.spend_alert.deleted', deleted: true });
    });
  }

  app.get('/certificates', (context) => {
    const items = context.req.query('order') === 'asc' ? certificates() : [...certificates()].reverse();
    return context.json(listEnvelope(context, items, (certificate) => certificate.id, (certificate) => certificateObject(certificate, 'organization.certificate')));
  });
  app.post('/certificates', async (context) => {
    const body = await readJsonObject(context);
    const pem = requiredString(body, 'certificate');
    if (!/^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\s*$/.test(pem)) throw new BadRequest("Invalid 'certificate': expected a PEM certificate.", 'certificate');
    const now = state.nowMs();
    const certificate: EmulatedCertificate = { id: `cert_${state.ids.alphanumeric(24)}`, name: optionalString(body, 'name') ?? null, createdAt: now, validAt: now, expiresAt: now + YEAR_MS, active: false };
    certificates().push(certificate);
    state.audit({ type: 'certificate.created', projectId: null, actorKeyId: context.get('key').id, details: { id: certificate.id, name: certificate.name } });
    return context.json(certificateObject(certificate, 'certificate'));
  });
  // Before `/certificates/:certificate_id`, which would otherwise take `activate` for an id.
  for (const [action, active] of [['activate', true], ['deactivate', false]] as const) {
    app.post(`/certificates/${action}`, async (context) => {
      const ids = (await readJsonObject(context))['certificate_ids'];
      if (!Array.isArray(ids) || ids.length < 1 || ids.length > 10) throw new BadRequest("Invalid 'certificate_ids': expected 1 to 10 ids.", 'certificate_ids');
      const chosen = ids.map((id) => certificates().find((certificate) => certificate.id === id));
      const missing = ids.find((_id, index) => chosen[index] === undefined);
      if (missing !== undefined) return openaiNotFound(context, 'certificate', String(missing));
      for (const certificate of chosen) if (certificate !== undefined) certificate.active = active;
      return context.json({ object: `organization.certificate.${active ? 'activation' : 'deactivation'}`, data: chosen.flatMap((certificate) => (certificate === undefined ? [] : [certificateObject(certificate, 'organization.certificate')])) });
    });
  }
  const findCertificate = (context: Context<OpenAIEnv>) => certificates().find((certificate) => certificate.id === context.req.param('certificate_id'));
  app.get('/certificates/:certificate_id', (context) => {
    const certificate = findCertificate(context);
    return certificate === undefined ? openaiNotFound(context, 'certificate', context.req.param('certificate_id')) : context.json(certificateObject(certificate, 'certificate'));
  });
  app.post('/certificates/:certificate_id', async (context) => {
    const certificate = findCertificate(context);
    if (certificate === undefined) return openaiNotFound(context, 'certificate', context.req.param('certificate_id'));
    certificate.name = optionalString(await readJsonObject(context), 'name') ?? certificate.name;
    return context.json(certificateObject(certificate, 'certificate'));
  });
  app.delete('/certificates/:certificate_id', (context) => {
    const certificate = findCertificate(context);
    if (certificate === undefined) return openaiNotFound(context, 'certificate', context.req.param('certificate_id'));
    if (certificate.active) throw new BadRequest('An active certificate cannot be deleted; deactivate it first.', 'certificate_id');
    state.data.certificates = certificates().filter((candidate) => candidate !== certificate);
    return context.json({ object: 'certificate.deleted', id: certificate.id });
  });
  return app;
}
