/**
 * `rekey approvals`: two-person rules and their requests. `policy add|list|remove` keeps the
 * rules; `request` asks in advance for an action a rule covers; `list|show` read requests
 * with their plan and decisions; `approve|deny` decide one (in local mode the approver
 * proves they are present with their own second factor); `link` prints signed one-time
 * approve/deny links for a notification; `redeem` spends such a link.
 */
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { parseDurationSeconds } from '../../core/duration.js';
import { isCapability, type ActionTarget, type Capability } from '../../core/team-types.js';
import type { ApprovalPolicyRecord, ApprovalRequestRecord, ApprovalStatus } from '../../store/approval-store-types.js';
import { approvalRequestWire } from '../../server/api/api-schemas.js';
import { withCliContext, type CliContext } from '../cli-context.js';
import { serverUrl } from '../server-client.js';
import { collect } from '../cli-options.js';
import { colour, outputFormat, printJson, printList, type Column } from '../output.js';
import { readStdinText } from '../secret-input.js';
import { mfaDeps, readCode } from './mfa-command.js';
import { teamDeps } from './user-command.js';

const STATUSES: readonly ApprovalStatus[] = ['pending', 'approved', 'denied', 'expired', 'executed'];

export const policyJson = (policy: ApprovalPolicyRecord) => ({
  name: policy.name, capabilities: policy.capabilities, scope: policy.scope, approvals: policy.approvalsRequired, approverRole: policy.approverRole, approverGroup: policy.approverGroup, ttlSeconds: policy.ttlSeconds,
});

/** The JSON of a request: the API's wire shape, so local and server mode print the same. */
export const requestJson = (request: ApprovalRequestRecord) => approvalRequestWire(request);

interface Decided { approver: string; decision: string; via: string; comment: string | null; at: string }

/** The signed-in person in server mode; `--as`, when given, must name them. */
async function remotePerson(as: string | undefined): Promise<string> {
  const { loadSavedSession } = await import('../server-client.js');
  const person = loadSavedSession()?.user ?? '';
  if (as !== undefined && as !== person) throw new UsageError(`signed in as ${person}: over a server you act as yourself, not --as ${as}`, { hint: 'rekey login --user <name> to act as someone else' });
  return person;
}

async function remoteClient() {
  const [{ openApiClient }, { approvalSchema }, { approvalFromWire }] = await Promise.all([import('../server-client.js'), import('../../server/routes/approval-api-routes.js'), import('../remote-state.js')]);
  const client = openApiClient();
  const read = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    const wire = await client.request(method, path, approvalSchema, body);
    return { request: approvalFromWire(wire), decisions: wire.decisions as Decided[] };
  };
  return { client, read };
}

const policyColumns: Array<Column<ApprovalPolicyRecord>> = [
  { header: 'POLICY', value: (policy) => policy.name },
  { header: 'CAPABILITIES', value: (policy) => policy.capabilities.join(',') },
  { header: 'SCOPE', value: (policy) => Object.entries(policy.scope).map(([field, value]) => `${field}=${String(value)}`).join(',') || 'everything' },
  { header: 'APPROVERS', value: (policy) => `${policy.approvalsRequired} from ${policy.approverGroup !== null ? `group ${policy.approverGroup}` : `role ${policy.approverRole ?? ''}`}` },
  { header: 'TTL', value: (policy) => `${policy.ttlSeconds}s` },
];

const requestColumns: Array<Column<ApprovalRequestRecord>> = [
  { header: 'ID', value: (request) => request.id },
  { header: 'STATUS', value: (request) => request.status },
  { header: 'ACTION', value: (request) => `${request.capability} ${request.target.kind === 'install' ? 'install' : request.target.name}` },
  { header: 'REQUESTER', value: (request) => request.requester },
  { header: 'EXPIRES', value: (request) => request.expiresAt.toISOString() },
];

async function targetOf(context: CliContext, capability: Capability, credentialName: string | undefined): Promise<ActionTarget> {
  if (capability === 'master-key-rotate' || credentialName === undefined) {
    if (credentialName !== undefined || !['master-key-rotate', 'manage-users', 'manage-policy', 'read-audit'].includes(capability)) {
      throw new UsageError(`${capability} acts on a credential: name it with --credential <name>`);
    }
    return { kind: 'install' };
  }
  const credential = await context.store.getCredential(credentialName);
  if (credential === undefined) throw new UsageError(`no credential named ${credentialName}`, { hint: 'rekey credential list' });
  return { kind: 'credential', credentialId: credential.id, name: credential.name, environment: credential.environment, provider: credential.provider, ownerTeam: credential.tags.team ?? null };
}

function parseParameters(pairs: readonly string[]): Record<string, string> {
  return Object.fromEntries(pairs.map((pair) => {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--param "${pair.slice(0, 60)}" must look like key=value`);
    return [pair.slice(0, at), pair.slice(at + 1)];
  }));
}

async function remoteList(status: string | undefined): Promise<ApprovalRequestRecord[]> {
  const [{ openApiClient }, { approvalSchema }, { approvalFromWire }, { z }] = await Promise.all([import('../server-client.js'), import('../../server/routes/approval-api-routes.js'), import('../remote-state.js'), import('zod')]);
  const answer = await openApiClient().request('GET', `/v1/approvals${status === undefined ? '' : `?status=${status}`}`, z.object({ approvals: z.array(approvalSchema) }));
  return answer.approvals.map(approvalFromWire);
}

/** In local mode an approver proves presence with their own second factor. */
async function approverPresent(context: CliContext, approver: string, options: { codeStdin?: boolean }): Promise<void> {
  const { verifyMfa } = await import('../../team/mfa-service.js');
  const user = await context.store.getUser(approver);
  if (user === undefined) throw new UsageError(`no user named ${approver}`, { hint: 'rekey user list' });
  if (user.totpSealed === null || !user.totpConfirmed) throw new UsageError(`${approver} has no MFA enrolled; approving in local mode needs the approver's code`, { hint: `rekey mfa enroll ${approver}` });
  await verifyMfa(mfaDeps(context), approver, await readCode(options, `${approver}'s code: `), 'approval');
}

export function register(program: Command): void {
  const approvals = program.command('approvals').description('Two-person approval: policies, requests with their plan, approve or deny, signed one-time links');
  const policy = approvals.command('policy').description('Which actions on which scopes need how many approvers from which role or group');

  policy
    .command('add <name>')
    .description('Create or replace an approval policy')
    .requiredOption('--capability <capability>', 'a capability it covers (repeatable): rotate, reveal, emergency-rotate, end-grace, manage-tokens, master-key-rotate, …', collect)
    .option('--credentials <glob>', 'credential name glob, e.g. openai/*/prod')
    .option('--environment <glob>', 'environment glob, e.g. prod')
    .option('--provider <glob>', 'provider glob')
    .option('--owner-team <glob>', 'owner team glob')
    .requiredOption('--approvals <n>', 'how many people other than the requester must approve (1-10)')
    .option('--approver-group <group>', 'approvers belong to this group')
    .option('--approver-role <role>', 'approvers hold this role on the credential')
    .option('--ttl <duration>', 'how long a request stays open and an approval usable', '1h')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { capability: string[]; credentials?: string; environment?: string; provider?: string; ownerTeam?: string; approvals: string; approverGroup?: string; approverRole?: string; ttl: string; json?: boolean }) => {
      if (!/^\d+$/.test(options.approvals)) throw new UsageError(`--approvals must be a whole number, got "${options.approvals.slice(0, 20)}"`);
      const { saveApprovalPolicy } = await import('../../team/approval-service.js');
      const saved = await withCliContext((context) => saveApprovalPolicy(teamDeps(context), {
        name, capabilities: options.capability, scope: { credentials: options.credentials, environment: options.environment, provider: options.provider, ownerTeam: options.ownerTeam },
        approvals: Number(options.approvals), approverGroup: options.approverGroup, approverRole: options.approverRole, ttlSeconds: parseDurationSeconds(options.ttl, '--ttl'),
      }));
      if (options.json === true) return printJson(policyJson(saved));
      process.stdout.write(`${colour.green('saved')} approval policy ${saved.name}: ${saved.capabilities.join(', ')} need ${saved.approvalsRequired} approval(s)\n`);
      return undefined;
    });

  policy
    .command('list')
    .description('List approval policies')
    .option('--output <format>', 'table, json or csv')
    .option('--json', 'print JSON')
    .action(async (options: { output?: string; json?: boolean }) => {
      const format = outputFormat(options);
      printList(await withCliContext(({ store }) => store.listApprovalPolicies()), policyColumns, format, policyJson);
    });

  policy
    .command('remove <name>')
    .description('Remove an approval policy')
    .action(async (name: string) => {
      const { removeApprovalPolicy } = await import('../../team/approval-service.js');
      await withCliContext((context) => removeApprovalPolicy(teamDeps(context), name));
      process.stdout.write(`${colour.green('removed')} approval policy ${name}\n`);
    });

  approvals
    .command('request <capability>')
    .description('Ask in advance for an action a policy covers; prints the request id to quote when running it')
    .option('--as <user>', 'the person asking (local mode; over a server: the signed-in person)')
    .option('--credential <name>', 'the credential it acts on')
    .option('--param <key=value>', 'a parameter of the action, bound to the approval (repeatable)', collect)
    .option('--reason <text>', 'why, for the approvers')
    .option('--json', 'print JSON')
    .action(async (capability: string, options: { as?: string; credential?: string; param?: string[]; reason?: string; json?: boolean }) => {
      if (!isCapability(capability)) throw new UsageError(`unknown capability "${capability.slice(0, 60)}"`);
      const { createApprovalRequest, governingPolicy } = await import('../../team/approval-service.js');
      const request = serverUrl() !== undefined ? await (async () => {
        await remotePerson(options.as);
        const body = { capability, ...(options.credential === undefined ? {} : { credential: options.credential }), parameters: parseParameters(options.param ?? []), ...(options.reason === undefined ? {} : { reason: options.reason }) };
        return (await (await remoteClient()).read('POST', '/v1/approvals', body)).request;
      })() : await withCliContext(async (context) => {
        if (options.as === undefined) throw new UsageError('name the person asking with --as <user> (local mode)');
        const requester = options.as;
        const target = await targetOf(context, capability, options.credential);
        const deps = teamDeps(context);
        const governing = await governingPolicy(deps, capability, target);
        if (governing === null) throw new UsageError(`no approval policy covers ${capability} on ${options.credential ?? 'this install'}; nothing to ask for`);
        const parameters = parseParameters(options.param ?? []);
        const plan = { action: `${capability} ${target.kind === 'install' ? 'on this install' : target.name}`, parameters };
        return createApprovalRequest(deps, governing, { requester, capability, target, parameters, plan, reason: options.reason });
      });
      if (options.json === true) return printJson(requestJson(request));
      process.stdout.write(`${colour.yellow('requested')} ${request.id}: ${request.capability} needs ${request.approvalsRequired} approval(s) before ${request.expiresAt.toISOString()}\n`);
      return undefined;
    });

  approvals
    .command('list')
    .description('List approval requests, newest first')
    .option('--status <status>', `only ${STATUSES.join(', ')}`)
    .option('--output <format>', 'table, json or csv')
    .option('--json', 'print JSON')
    .action(async (options: { status?: string; output?: string; json?: boolean }) => {
      const format = outputFormat(options);
      if (options.status !== undefined && !(STATUSES as readonly string[]).includes(options.status)) throw new UsageError(`--status must be one of ${STATUSES.join(', ')}`);
      const requests = serverUrl() !== undefined ? await remoteList(options.status) : await withCliContext(({ store }) => store.listApprovalRequests(options.status === undefined ? {} : { status: options.status as ApprovalStatus }));
      printList(requests, requestColumns, format, requestJson);
    });

  approvals
    .command('show <id>')
    .description('Show a request: what will run (plan and parameters) and who decided')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const { request, decided } = serverUrl() !== undefined ? await (async () => {
        const answer = await (await remoteClient()).read('GET', `/v1/approvals/${encodeURIComponent(id)}`);
        return { request: answer.request, decided: answer.decisions };
      })() : await withCliContext(async ({ store }) => {
        const found = await store.getApprovalRequest(id);
        if (found === undefined) throw new UsageError(`no approval request ${id}`, { hint: 'rekey approvals list' });
        const decisions = await store.listApprovalDecisions(id);
        return { request: found, decided: decisions.map((decision): Decided => ({ approver: decision.approver, decision: decision.decision, via: decision.via, comment: decision.comment, at: decision.at.toISOString() })) };
      });
      if (options.json === true) return printJson({ ...requestJson(request), decisions: decided });
      process.stdout.write(
        `${request.id}  ${request.status}\n  ${request.capability} on ${request.target.kind === 'install' ? 'this install' : request.target.name}, asked by ${request.requester}${request.reason === null ? '' : ` (${request.reason})`}\n` +
          `  plan: ${JSON.stringify(request.plan)}\n  needs ${request.approvalsRequired} approval(s); expires ${request.expiresAt.toISOString()}\n` +
          decided.map((decision) => `  ${decision.decision} by ${decision.approver} via ${decision.via} at ${decision.at}${decision.comment === null ? '' : `: ${decision.comment}`}\n`).join(''),
      );
      return undefined;
    });

  for (const decision of ['approve', 'deny'] as const) {
    approvals
      .command(`${decision} <id>`)
      .description(`${decision === 'approve' ? 'Approve' : 'Deny'} a request as another person than its requester (local mode: with that person's MFA code)`)
      .option('--as <user>', 'the approver (local mode; over a server: the signed-in person, after a fresh step-up)')
      .option('--comment <text>', 'a note kept with the decision')
      .option('--code-stdin', "read the approver's code from the first line of stdin (default: a hidden prompt)")
      .option('--json', 'print JSON')
      .action(async (id: string, options: { as?: string; comment?: string; codeStdin?: boolean; json?: boolean }) => {
        const { decideApproval } = await import('../../team/approval-service.js');
        let approver = options.as ?? '';
        const updated = serverUrl() !== undefined ? await (async () => {
          approver = await remotePerson(options.as);
          // --code-stdin steps up first; on a terminal the client asks when the server wants it.
          if (options.codeStdin === true) await (await import('../server-client.js')).remoteStepUp(await readCode(options));
          return (await (await remoteClient()).read('POST', `/v1/approvals/${encodeURIComponent(id)}/${decision}`, options.comment === undefined ? {} : { comment: options.comment })).request;
        })() : await withCliContext(async (context) => {
          if (options.as === undefined) throw new UsageError('name the approver with --as <user> (local mode)');
          await approverPresent(context, approver, options);
          return decideApproval(teamDeps(context), { requestId: id, approver, decision, via: 'cli', comment: options.comment });
        });
        if (options.json === true) return printJson(requestJson(updated));
        process.stdout.write(`${colour.green(decision === 'approve' ? 'approved' : 'denied')} ${id} as ${approver}; request is ${updated.status}\n`);
        return undefined;
      });
  }

  approvals
    .command('link <id>')
    .description('Print signed one-time approve and deny links for one approver (for a notification to that person only)')
    .requiredOption('--approver <user>', 'the person the links are for')
    .option('--base-url <url>', 'the rekey server the links point at (default: the server in use, else http://127.0.0.1:8787)')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { approver: string; baseUrl?: string; json?: boolean }) => {
      const { approvalLinkKey, approvalLinksFor } = await import('../../team/approval-link.js');
      const server = serverUrl();
      const baseUrl = options.baseUrl ?? server ?? 'http://127.0.0.1:8787';
      const links = server !== undefined ? await (async () => {
        const { z } = await import('zod');
        return (await remoteClient()).client.request('POST', `/v1/approvals/${encodeURIComponent(id)}/links`, z.object({ approve: z.string(), deny: z.string() }), { approver: options.approver });
      })() : await withCliContext(async (context) => {
        const request = await context.store.getApprovalRequest(id);
        if (request === undefined) throw new UsageError(`no approval request ${id}`, { hint: 'rekey approvals list' });
        if (request.requester === options.approver) throw new UsageError(`${options.approver} asked for ${id}; links go to another person`);
        return approvalLinksFor(approvalLinkKey(context.keys.material.key), request, options.approver);
      });
      const url = (token: string) => `${baseUrl.replace(/\/+$/, '')}/v1/approvals/links/${token}`;
      if (options.json === true) return printJson({ approve: url(links.approve), deny: url(links.deny) });
      process.stdout.write(`approve: ${url(links.approve)}\ndeny:    ${url(links.deny)}\n`);
      return undefined;
    });

  approvals
    .command('redeem')
    .description('Spend a signed one-time link read from stdin (a link or its token)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const line = (await readStdinText()).trim();
      const token = line.slice(line.lastIndexOf('/') + 1);
      if (token === '') throw new UsageError('no link on stdin');
      const { approvalLinkKey, redeemApprovalLink } = await import('../../team/approval-link.js');
      const updated = await withCliContext((context) => redeemApprovalLink({ ...teamDeps(context), linkKey: approvalLinkKey(context.keys.material.key) }, token));
      if (options.json === true) return printJson(requestJson(updated));
      process.stdout.write(`request ${updated.id} is ${updated.status}\n`);
      return undefined;
    });
}
