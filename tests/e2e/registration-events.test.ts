// Registration and deletion crossing services as events: auth → users (a newcomer's profile)
// and users → auth (a deleted member loses their sessions), through the outbox, the bus and
// the consumers' inboxes. Embedded mode through the gateway; distributed mode on PostgreSQL
// and NATS JetStream when they answer.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  createService,
  type EmbeddedPlatform,
  portVariable,
  readServiceCatalog,
  type ServiceInstance,
  startEmbedded,
} from '@lattice/platform';
import {
  createTestDatabase,
  deleteConsumerGroups,
  infrastructure,
  needs,
  type TestDatabase,
  testPostgresUrl,
} from '@lattice/platform/testing';
import { service as authService } from '../../services/auth/src/app.ts';
import { generatePrivateKeyPem } from '../../services/auth/src/security/signing-keys.ts';
import { service as usersService } from '../../services/users/src/app.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
// Away from the defaults and from the other e2e files (+10 000, +20 000), which may run at the
// same time; and below Linux's ephemeral range (32768–60999), where a listen can collide with
// the local port of any outgoing connection (PostgreSQL, NATS) on the machine.
const PORT_OFFSET = 21_000;
const PASSWORD = 'correct horse battery';
/** The longest a newcomer may wait for their profile, and a deleted user keep their sessions. */
const WINDOW_MS = 5_000;

interface Reply {
  status: number;
  /** The JSON body; empty for a 204. */
  body: Record<string, unknown>;
}

/** One HTTP call, through a real socket (embedded) or `inject` (distributed, no port needed). */
type Call = (
  service: 'auth' | 'users',
  method: string,
  path: string,
  options?: { token?: string; body?: object },
) => Promise<Reply>;

interface Session {
  user: { id: string; email: string; tenantId: string; roles: string[] };
  accessToken: string;
  refreshToken: string;
}

function uniqueEmail(label: string): string {
  return `${label}-${randomBytes(5).toString('hex')}@example.test`;
}

/** Polls until `check` answers true; resolves with the milliseconds it took. */
async function within(what: string, timeoutMs: number, check: () => Promise<boolean>) {
  const started = performance.now();
  for (;;) {
    if (await check()) return Math.round(performance.now() - started);
    if (performance.now() - started > timeoutMs)
      throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await delay(10);
  }
}

async function register(call: Call, body: Record<string, unknown>): Promise<Session> {
  const reply = await call('auth', 'POST', '/api/v1/auth/register', {
    body: { password: PASSWORD, name: 'E2E', ...body },
  });
  assert.equal(reply.status, 201, JSON.stringify(reply.body));
  return reply.body as unknown as Session;
}

/**
 * The story both modes tell: a founder registers and sees their profile within moments; they
 * invite a member, delete them, and the member's login and refresh stop working within moments.
 */
async function registrationStory(call: Call, diagnostic: (message: string) => void) {
  // The first newcomer also pays for cold paths (JWKS fetches, first queries); the next ones
  // show the steady window.
  const windows: number[] = [];
  const newcomers: Session[] = [];
  for (let i = 0; i < 6; i++) {
    const newcomer = await register(call, {
      email: uniqueEmail('founder'),
      tenantName: 'E2E Events',
    });
    const profileMs = await within('the newcomer’s profile', WINDOW_MS, async () => {
      const me = await call('users', 'GET', '/api/v1/users/me', { token: newcomer.accessToken });
      if (me.status === 404) assert.equal(me.body.code, 'USERS_PROFILE_PENDING');
      return me.status === 200;
    });
    windows.push(profileMs);
    newcomers.push(newcomer);
  }
  const founder = newcomers[0]!;
  const me = await call('users', 'GET', '/api/v1/users/me', { token: founder.accessToken });
  assert.equal(me.body.id, founder.user.id);
  assert.equal(me.body.email, founder.user.email);
  assert.deepEqual(me.body.roles, ['admin']);
  const warm = windows.slice(1).sort((a, b) => a - b);
  diagnostic(
    `register answered → GET /users/me 200: first ${windows[0]} ms, then median ${warm[Math.floor(warm.length / 2)]} ms, max ${warm.at(-1)} ms (${warm.length} newcomers)`,
  );

  const email = uniqueEmail('member');
  const invitation = await call('auth', 'POST', '/api/v1/auth/invitations', {
    token: founder.accessToken,
    body: { email, role: 'member' },
  });
  assert.equal(invitation.status, 201, JSON.stringify(invitation.body));
  const member = await register(call, { email, inviteToken: invitation.body.inviteToken });
  assert.equal(member.user.tenantId, founder.user.tenantId);
  await within('the member’s profile', WINDOW_MS, async () => {
    const found = await call('users', 'GET', `/api/v1/users/${member.user.id}`, {
      token: founder.accessToken,
    });
    return found.status === 200;
  });
  const otherDevice = await call('auth', 'POST', '/api/v1/auth/login', {
    body: { email, password: PASSWORD },
  });
  assert.equal(otherDevice.status, 200);

  const deleted = await call('users', 'DELETE', `/api/v1/users/${member.user.id}`, {
    token: founder.accessToken,
  });
  assert.equal(deleted.status, 204, JSON.stringify(deleted.body));
  // Refreshing rotates the token while the member still exists; the first 401 is the moment
  // auth applied the deletion (all the member's token families revoked).
  let refreshToken = member.refreshToken;
  const revokedMs = await within('the member’s refresh refused', WINDOW_MS, async () => {
    const refreshed = await call('auth', 'POST', '/api/v1/auth/refresh', {
      body: { refreshToken },
    });
    if (refreshed.status === 200) {
      refreshToken = refreshed.body.refreshToken as string;
      return false;
    }
    assert.equal(refreshed.status, 401, JSON.stringify(refreshed.body));
    return true;
  });
  const login = await call('auth', 'POST', '/api/v1/auth/login', {
    body: { email, password: PASSWORD },
  });
  assert.equal(login.status, 401);
  assert.equal(login.body.code, 'AUTH_INVALID_CREDENTIALS');
  const stale = await call('auth', 'POST', '/api/v1/auth/refresh', {
    body: { refreshToken: otherDevice.body.refreshToken },
  });
  assert.equal(stale.status, 401, 'every session of the member ends, not only the one used');
  diagnostic(`DELETE /users/:id 204 → refresh 401 after ${revokedMs} ms; login 401`);

  const founderAgain = await call('auth', 'POST', '/api/v1/auth/refresh', {
    body: { refreshToken: founder.refreshToken },
  });
  assert.equal(founderAgain.status, 200, 'the admin keeps their session');
}

describe('registration events through the embedded platform', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lattice-events-e2e-'));
  const catalog = readServiceCatalog(root, {});
  const env = {
    ...process.env,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    AUTH_EMBEDDED_OPERATOR: 'false',
    ...Object.fromEntries(catalog.map((e) => [portVariable(e.name), String(e.port + PORT_OFFSET)])),
  };
  let platform: EmbeddedPlatform | undefined;

  before(async () => {
    platform = await startEmbedded(root, env);
  });
  after(async () => {
    await platform?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('a newcomer’s profile appears within 5 s of register; a deleted member loses login and refresh within 5 s', async (t) => {
    const gateway = platform!.urls.gateway!;
    const call: Call = async (_service, method, path, options = {}) => {
      const headers: Record<string, string> = {};
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      if (options.body) headers['content-type'] = 'application/json';
      const response = await fetch(`${gateway}${path}`, {
        method,
        headers,
        ...(options.body ? { body: JSON.stringify(options.body) } : {}),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : {} };
    };
    await registrationStory(call, (message) => t.diagnostic(`embedded: ${message}`));
  });
});

test('distributed mode: the same story over PostgreSQL and NATS JetStream', {
  skip: needs('postgres') || needs('nats'),
  timeout: 60_000,
}, async (t) => {
  const natsUrl = infrastructure.find((i) => i.name === 'nats')!.url;
  const base = {
    LATTICE_MODE: 'distributed',
    // Private consumer groups: another distributed run on the same NATS must not take our events.
    EVENT_GROUP_PREFIX: `e2e${process.pid}-`,
    POSTGRES_URL: testPostgresUrl(),
    NATS_URL: natsUrl,
    LOG_LEVEL: 'silent',
  };
  const databases: TestDatabase[] = [];
  const services: ServiceInstance[] = [];
  t.after(async () => {
    // Consumers drain before their databases go.
    for (const service of services.reverse()) await service.close();
    for (const database of databases) await database.cleanup();
    await deleteConsumerGroups(natsUrl, base.EVENT_GROUP_PREFIX);
  });

  // Fresh databases; the streams (AUTH, USERS) and durable consumers are the real, shared ones,
  // so the consumers may first meet events of earlier runs: idempotent handlers shrug them off.
  const authDb = await createTestDatabase('auth', 'postgres');
  databases.push(authDb);
  const usersDb = await createTestDatabase('users', 'postgres');
  databases.push(usersDb);
  const auth = await createService(authService, {
    env: { ...base, JWT_PRIVATE_KEY: generatePrivateKeyPem() },
    database: authDb.database,
  });
  services.push(auth);
  const authUrl = await auth.listen(0);
  const users = await createService(usersService, {
    env: { ...base, AUTH_JWKS_URL: `${authUrl}/api/v1/auth/.well-known/jwks.json` },
    database: usersDb.database,
  });
  services.push(users);

  const byName = { auth, users };
  const call: Call = async (service, method, path, options = {}) => {
    const response = await byName[service].app.inject({
      method: method as 'GET',
      url: path,
      headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
      ...(options.body ? { payload: options.body } : {}),
    });
    return { status: response.statusCode, body: response.body ? response.json() : {} };
  };
  await registrationStory(call, (message) => t.diagnostic(`distributed: ${message}`));
});
