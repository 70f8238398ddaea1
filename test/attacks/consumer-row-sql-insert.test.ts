/**
 * Attack (issue #11 item 9): someone who can write to the database but does not hold the
 * master key inserts a consumer whose reload action runs their own program with the new key
 * in its environment (copying a real consumer's row, MAC included). Before row MACs the next
 * rotation delivered the key and ran it: plaintext key plus code execution. Now the row's MAC
 * does not match: the rotation refuses to deliver (the old key stays live and untouched),
 * the program never runs, and `rekey doctor` names the row. Runs on SQLite and PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTACK_DIALECTS, copyRow, createAttackInstall, type AttackInstall } from './attack-install.js';

const NAME = 'manual/ticketing/prod';

describe.each(ATTACK_DIALECTS)('attack: a consumer with an exec reload inserted by SQL [%s]', (dialect) => {
  const first = `sk-first-${randomBytes(16).toString('hex')}`;
  const second = `sk-second-${randomBytes(16).toString('hex')}`;
  let install: AttackInstall;
  let envFile: string;
  let marker: string;
  // The manual provider's liveness check: every key answers, so the rotation reaches delivery at once.
  let liveness: Server;

  beforeAll(async () => {
    liveness = createServer((_request, response) => response.end('ok'));
    await new Promise<void>((resolve) => liveness.listen(0, '127.0.0.1', resolve));
    const checkUrl = `http://127.0.0.1:${(liveness.address() as AddressInfo).port}/`;
    install = await createAttackInstall(dialect);
    envFile = join(install.home, 'app.env');
    marker = join(install.home, '..', 'owned.txt');
    await install.ok(['credential', 'add', NAME, '--provider', 'manual', '--scope', `checkUrl=${checkUrl}`, '--read-value'], `${first}\n`);
    await install.ok(['consumer', 'add', NAME, 'app-env', '--kind', 'env-file', '--path', envFile, '--var', 'TICKETING_KEY']);
    const credentialId = (await install.sql<{ id: string }>('SELECT id FROM credentials WHERE name = ?', [NAME]))[0]?.id;
    const reload = { kind: 'exec', command: [process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, process.env.REKEY_KEY || 'ran')`], keyVia: 'env' };
    await copyRow(install, 'consumers', { column: 'credential_id', value: credentialId }, {
      name: { value: 'intruder' },
      reload: { value: JSON.stringify(reload), cast: 'jsonb' },
    });
  }, 60_000);
  afterAll(async () => {
    await install?.dispose();
    liveness?.close();
  });

  it('the rotation refuses to deliver, the intruder program never runs and the old key stays', async () => {
    const rotation = await install.rekey(['rotate', NAME, '--value-from-stdin'], `${second}\n`);
    expect(rotation.code).not.toBe(0);
    expect(rotation.stderr + rotation.stdout).toMatch(/consumer intruder of manual\/ticketing\/prod fails its integrity check/);
    expect(existsSync(marker)).toBe(false);
    expect(rotation.stdout + rotation.stderr).not.toContain(second);
    const current = JSON.parse((await install.ok(['credential', 'versions', NAME, '--json'])).stdout) as Array<{ number: number; stage: string }>;
    expect(current.find((version) => version.stage === 'current')?.number).toBe(1);
    expect(existsSync(envFile) ? readFileSync(envFile, 'utf8') : '').not.toContain(second);
  });

  it('rekey doctor names the tampered consumer, and removing it lets rotations run again', async () => {
    const doctor = await install.rekey(['doctor']);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/tampered consumers\s+manual\/ticketing\/prod intruder: MAC does not match/);
    await install.ok(['consumer', 'remove', NAME, 'intruder', '--yes']);
    expect((await install.rekey(['doctor'])).stdout).toMatch(/row integrity\s+sealed since/);
  });
});
