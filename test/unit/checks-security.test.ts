import { describe, expect, it } from 'vitest';
import { judgeSecurity, security, type Target } from '../../src/checks/kinds/security.js';
import { DEFAULT_RULES } from '../../src/checks/kinds/security.schema.js';
import { entrySchema } from '../../src/checks/schema.js';
import {
  isReference,
  isRootUser,
  judgeSubject,
  secretsInEnv,
  sensitiveReason,
  subjectFromCompose,
  subjectFromContainer,
} from '../../src/checks/security-rules.js';
import type { CheckKind } from '../../src/live/check.js';
import type { MountSpec, ServiceSpec } from '../../src/compose/model.js';
import type { ContainerConfig } from '../../src/engine/engine.js';
import { service } from '../support/specs.js';

const pos = { file: 'compose.yml', line: 1, column: 1 };
const bind = (source: string, target = '/data', readOnly = false): MountSpec => ({
  type: 'bind',
  source,
  target,
  readOnly,
  createHostPath: false,
  pos,
});

function target(name: string, over: Partial<ServiceSpec> = {}): Target {
  return {
    service: `t/${name}`,
    subject: subjectFromCompose(service(name, { user: 'app', ...over })),
  };
}

const rules = (over: Partial<Record<keyof typeof DEFAULT_RULES, 'required' | 'waived'>> = {}) => ({
  rules: { ...DEFAULT_RULES, ...over },
  allowEnv: [] as string[],
});

function container(over: Partial<ContainerConfig> = {}): ContainerConfig {
  return {
    user: '',
    env: { PATH: '/usr/bin' },
    privileged: false,
    readonlyRootfs: false,
    capAdd: [],
    memoryBytes: 0,
    nanoCpus: 0,
    cpuQuota: 0,
    cpuPeriod: 0,
    mounts: [],
    ...over,
  };
}

describe('security: nonRoot', () => {
  it('knows root by name, number and group form', () => {
    for (const u of ['', '0', 'root', '0:0', 'root:staff', ' 0 '])
      expect(isRootUser(u), u).toBe(true);
    for (const u of ['app', '1000', '1000:1000', 'app:app', 'nobody', '0app'])
      expect(isRootUser(u), u).toBe(false);
  });

  it('judges the compose user, and cannot judge a service that leaves it to the image', () => {
    expect(judgeSubject(subjectFromCompose(service('a', { user: 'app' }))).nonRoot.verdict).toBe(
      'ok',
    );
    expect(judgeSubject(subjectFromCompose(service('a', { user: '0:0' }))).nonRoot).toMatchObject({
      verdict: 'violation',
      detail: 'runs as root (user "0:0")',
    });
    expect(judgeSubject(subjectFromCompose(service('a'))).nonRoot.verdict).toBe('unknown');
  });

  it("judges a container by its real user: empty means root (the image's USER is already merged in)", () => {
    expect(judgeSubject(subjectFromContainer(container())).nonRoot).toMatchObject({
      verdict: 'violation',
      facts: { user: '(empty: root)' },
    });
    expect(judgeSubject(subjectFromContainer(container({ user: 'app' }))).nonRoot.verdict).toBe(
      'ok',
    );
  });

  it('skips (never passes) a check that can only be judged once the service runs', () => {
    const out = judgeSecurity(rules(), [
      { service: 't/a', subject: subjectFromCompose(service('a')) },
    ]);
    expect(out.status).toBe('skipped');
    expect(out.message).toContain(
      "t/a nonRoot: no `user:` in compose, so the image's USER decides",
    );
  });
});

describe('security: privileges and mounts', () => {
  it('fails privileged and near-privileged capabilities', () => {
    expect(
      judgeSubject(subjectFromCompose(service('a', { privileged: true }))).notPrivileged.verdict,
    ).toBe('violation');
    expect(
      judgeSubject(subjectFromCompose(service('a', { capAdd: ['CAP_SYS_ADMIN'] }))).notPrivileged,
    ).toMatchObject({
      verdict: 'violation',
      detail: 'adds capability SYS_ADMIN, nearly as much as privileged',
    });
    expect(
      judgeSubject(subjectFromCompose(service('a', { capAdd: ['NET_BIND_SERVICE'] }))).notPrivileged
        .verdict,
    ).toBe('ok');
    expect(
      judgeSubject(subjectFromContainer(container({ privileged: true }))).notPrivileged.verdict,
    ).toBe('violation');
  });

  it('finds the engine socket under either path', () => {
    for (const src of ['/var/run/docker.sock', '/run/docker.sock', '/run/podman/podman.sock']) {
      const f = judgeSubject(
        subjectFromCompose(service('a', { mounts: [bind(src, '/var/run/docker.sock')] })),
      );
      expect(f.noDockerSocket.verdict, src).toBe('violation');
      expect(f.noHostSensitiveMounts.verdict, src).toBe('ok'); // one finding per mistake
    }
    const live = subjectFromContainer(
      container({
        mounts: [{ type: 'bind', source: '/var/run/docker.sock', target: '/sock', readOnly: true }],
      }),
    );
    expect(judgeSubject(live).noDockerSocket).toMatchObject({
      verdict: 'violation',
      facts: { mounts: ['/var/run/docker.sock:/sock:ro'] },
    });
  });

  it('lists sensitive host paths and leaves ordinary ones alone', () => {
    for (const p of [
      '/',
      '/etc',
      '/etc/',
      '/proc',
      '/proc/1/root',
      '/sys/fs/cgroup',
      '/var/run',
      '/root',
      '/root/.ssh',
      '/home',
      '/var/lib/docker/volumes',
      '/etc/ssh/sshd_config',
    ]) {
      expect(sensitiveReason(p), p).toBeDefined();
    }
    for (const p of [
      '/etc/localtime',
      '/home/ci/project/data',
      '/srv/app',
      '/tmp/x',
      '/var/lib/app',
      '/var/run/docker.sock',
    ]) {
      expect(sensitiveReason(p), p).toBeUndefined();
    }
    const f = judgeSubject(
      subjectFromCompose(
        service('a', {
          mounts: [
            bind('/etc', '/host/etc', true),
            bind('/srv/data'),
            { type: 'volume', source: 'v', target: '/v', readOnly: false, noCopy: false, pos },
          ],
        }),
      ),
    );
    expect(f.noHostSensitiveMounts).toMatchObject({
      verdict: 'violation',
      detail: 'bind-mounts host paths: /etc:/host/etc:ro',
      facts: { mounts: [{ mount: '/etc:/host/etc:ro', why: '/etc is a host system directory' }] },
    });
  });
});

describe('security: read-only root and limits', () => {
  it('judges both from compose and from the container', () => {
    const limited = service('a', {
      readOnly: true,
      resources: {
        limits: { memoryBytes: 256 * 2 ** 20, cpus: 0.5 },
        reservations: { devices: [] },
      },
    });
    expect(judgeSubject(subjectFromCompose(limited))).toMatchObject({
      readOnlyRootfs: { verdict: 'ok' },
      limits: { verdict: 'ok' },
    });
    const memOnly = service('a', {
      resources: { limits: { memoryBytes: 1 }, reservations: { devices: [] } },
    });
    expect(judgeSubject(subjectFromCompose(memOnly)).limits.detail).toMatch(/^no CPU limit/);
    const quota = service('a', {
      resources: { limits: { memoryBytes: 1 }, reservations: { devices: [] }, cpuQuotaUs: 50_000 },
    });
    expect(judgeSubject(subjectFromCompose(quota)).limits.verdict).toBe('ok');
    expect(
      judgeSubject(
        subjectFromContainer(
          container({ memoryBytes: 1, cpuQuota: 50_000, cpuPeriod: 100_000, readonlyRootfs: true }),
        ),
      ),
    ).toMatchObject({
      readOnlyRootfs: { verdict: 'ok' },
      limits: { verdict: 'ok', facts: { memoryBytes: 1, cpus: 0.5 } },
    });
    expect(judgeSubject(subjectFromContainer(container())).limits.detail).toMatch(
      /^no memory or CPU limit/,
    );
  });

  it('reports them as waived by default, and fails them once required', () => {
    const t = [target('a')];
    const byDefault = judgeSecurity(rules(), t);
    expect(byDefault.status).toBe('passed');
    expect(byDefault.message).toBe(
      '1 service meets nonRoot, notPrivileged, noDockerSocket, noHostSensitiveMounts, noSecretsInEnv (waived: readOnlyRootfs on 1, limits on 1)',
    );
    expect(byDefault.evidence.waived).toEqual([
      expect.objectContaining({ service: 't/a', rule: 'readOnlyRootfs' }),
      expect.objectContaining({ service: 't/a', rule: 'limits' }),
    ]);
    const strict = judgeSecurity(rules({ readOnlyRootfs: 'required', limits: 'required' }), t);
    expect(strict.status).toBe('failed');
    expect(strict.message).toMatch(
      /^2 violations of required rules: t\/a readOnlyRootfs: root filesystem is writable/,
    );
  });
});

describe('security: secrets in the environment', () => {
  const env = {
    DB_PASSWORD: 'hunter2-hunter2',
    API_KEY: 'sk-live-0123456789',
    GITHUB_TOKEN: '${GITHUB_TOKEN}',
    REDIS_PASSWORD_FILE: '/run/secrets/redis',
    JWT_SECRET_PATH: './secrets/jwt',
    TOKEN_TTL: '3600',
    SECRET_ENABLED: 'true',
    EMPTY_SECRET: '',
    ADMIN_PASSWORD: '/run/secrets/admin',
    AWS_SECRET_ACCESS_KEY: 'AKIA/abc+def',
    LOG_LEVEL: 'debug',
    PRIVATE_KEY: '-----BEGIN KEY-----',
  };

  it('names literal secrets, and accepts references, paths, flags and settings about secrets', () => {
    expect(secretsInEnv(env)).toEqual([
      'API_KEY',
      'AWS_SECRET_ACCESS_KEY',
      'DB_PASSWORD',
      'PRIVATE_KEY',
    ]);
    expect(secretsInEnv(env, ['API_KEY'])).toEqual([
      'AWS_SECRET_ACCESS_KEY',
      'DB_PASSWORD',
      'PRIVATE_KEY',
    ]);
    expect(isReference('${X}')).toBe(true);
    expect(isReference('$X')).toBe(true);
    expect(isReference('/run/secrets/x')).toBe(true);
    expect(isReference('pa$$word')).toBe(false);
  });

  it('never lets a value reach the message or the evidence', () => {
    const out = judgeSecurity(rules(), [target('a', { environment: env })]);
    expect(out.status).toBe('failed');
    expect(out.message).toContain(
      'API_KEY, AWS_SECRET_ACCESS_KEY, DB_PASSWORD, PRIVATE_KEY hold a literal secret (value masked)',
    );
    const all = JSON.stringify(out);
    for (const secret of ['hunter2', 'sk-live', 'AKIA', 'BEGIN KEY'])
      expect(all).not.toContain(secret);
    expect(all).toContain('<masked>');
  });

  it('judges the environment a container really has', () => {
    const c = container({ user: 'app', env: { PATH: '/bin', STRIPE_API_KEY: 'x1' } });
    expect(judgeSubject(subjectFromContainer(c)).noSecretsInEnv.verdict).toBe('violation');
  });
});

describe('security: the entry', () => {
  const schema = entrySchema(security as unknown as CheckKind);

  it('defaults to every service, five required rules and two waived ones', () => {
    const e = schema.parse({ name: 'n', security: {} }) as unknown as { security: unknown };
    expect(e.security).toEqual({ rules: DEFAULT_RULES, allowEnv: [] });
    const w = schema.parse({
      name: 'n',
      security: { rules: { nonRoot: 'waived' } },
    }) as unknown as {
      security: { rules: Record<string, string> };
    };
    expect(w.security.rules).toEqual({ ...DEFAULT_RULES, nonRoot: 'waived' });
  });

  it('rejects an unknown rule and an unknown requirement', () => {
    expect(
      schema.safeParse({ name: 'n', security: { rules: { nonroot: 'required' } } }).success,
    ).toBe(false);
    expect(
      schema.safeParse({ name: 'n', security: { rules: { nonRoot: 'optional' } } }).success,
    ).toBe(false);
  });

  it('folds several services into one verdict, with per-rule findings for each', () => {
    const out = judgeSecurity(rules(), [
      target('good'),
      target('bad', { user: 'root', privileged: true, mounts: [bind('/var/run/docker.sock')] }),
    ]);
    expect(out.status).toBe('failed');
    expect(out.message).toBe(
      '3 violations of required rules: t/bad nonRoot: runs as root (user "root"); t/bad notPrivileged: runs privileged; t/bad noDockerSocket: mounts the engine socket /var/run/docker.sock: root on the host for anyone in the container',
    );
    const services = out.evidence.services as {
      service: string;
      judged: string;
      findings: Record<string, { requirement: string; verdict: string }>;
    }[];
    expect(services.map((s) => s.service)).toEqual(['t/good', 't/bad']);
    expect(services[0]!.judged).toBe('compose');
    expect(services[1]!.findings.nonRoot).toMatchObject({
      requirement: 'required',
      verdict: 'violation',
    });
    expect(services[1]!.findings.limits).toMatchObject({
      requirement: 'waived',
      verdict: 'violation',
    });
  });
});
