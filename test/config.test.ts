import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../dist/src/config/config.js';

describe('configuration', () => {
  it('has working defaults for a single machine', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 3000, roles: ['api', 'worker', 'ssh', 'edge'], migrationsRun: true, registrationEnabled: true });
    expect(config.bodyLimitBytes).toBe(1024 * 1024);
  });

  it('reads roles, sizes and booleans', () => {
    const config = loadConfig({ BERTH_ROLES: 'api, worker', BODY_LIMIT: '512kb', REGISTRATION_ENABLED: 'false', PORT: '8080' });
    expect(config.roles).toEqual(['api', 'worker']);
    expect(config.bodyLimitBytes).toBe(512 * 1024);
    expect(config.registrationEnabled).toBe(false);
    expect(config.port).toBe(8080);
  });

  it('reports every problem at once, naming each variable, without echoing secrets', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'postgres//user:hunter2@host', REDIS_URL: 'http://x', BERTH_ROLES: 'api,web', LOG_LEVEL: 'loud' });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems.map((p) => p.split(' ')[0])).toEqual(['BERTH_ROLES', 'PORT', 'DATABASE_URL', 'REDIS_URL', 'LOG_LEVEL']);
    expect(error!.message).not.toContain('hunter2');
  });

  it('never prints secrets when the config is logged', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://berth:hunter2@db/berth' });
    expect(JSON.stringify(config)).not.toContain('hunter2');
    expect(config.databaseUrl.reveal()).toContain('hunter2');
  });

  it('refuses port ranges that would hand one port out twice, naming both variables', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (err) {
        return (err as ConfigError).problems;
      }
    };
    expect(problems({ APP_PORTS: '20000-29999', SSH_PORTS: '22000-23999' })).toEqual([
      "APP_PORTS (20000-29999) and SSH_PORTS (22000-23999) overlap: an app's web port could be another app's SSH port",
    ]);
    expect(problems({ SSH_PORTS: '2000-2999', EDGE_HTTP_PORT: '2080' })).toEqual(['EDGE_HTTP_PORT (2080) lies in SSH_PORTS (2000-2999): an app could be given the same port']);
    expect(problems({ PORT: '25000' })).toEqual(['PORT (25000) lies in APP_PORTS (24000-31999): an app could be given the same port']);
    // A port only counts where its role runs.
    expect(problems({ PORT: '25000', BERTH_ROLES: 'worker' })).toEqual([]);
    expect(problems({ EDGE_HTTP_PORT: '25000', BERTH_ROLES: 'api,worker' })).toEqual([]);
    expect(problems({ APP_PORTS: '20000-21999', SSH_PORTS: '22000-23999' })).toEqual([]);
  });

  it('pages lists by 100 up to 500 unless told otherwise, and never defaults above the maximum', () => {
    expect(loadConfig({}).pagination).toEqual({ defaultLimit: 100, maxLimit: 500 });
    expect(loadConfig({ PAGE_LIMIT_DEFAULT: '50', PAGE_LIMIT_MAX: '50' }).pagination).toEqual({ defaultLimit: 50, maxLimit: 50 });
    expect(() => loadConfig({ PAGE_LIMIT_DEFAULT: '600' })).toThrow(/PAGE_LIMIT_DEFAULT \(600\) is above PAGE_LIMIT_MAX \(500\)/);
    expect(() => loadConfig({ PAGE_LIMIT_MAX: '0' })).toThrow(/PAGE_LIMIT_MAX must be a whole number from 1 to 10000/);
  });

  it('caps the auth cache at one second so revocation spreads within a second', () => {
    expect(() => loadConfig({ AUTH_CACHE_TTL_MS: '5000' })).toThrow(/AUTH_CACHE_TTL_MS/);
  });

  it('reads the secrets key as 32 bytes of base64, never echoing it, and a previous key only beside a current one', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    expect(loadConfig({ SECRETS_KEY: key }).appConfig.secretsKey!.reveal()).toEqual(Buffer.alloc(32, 7));
    expect(loadConfig({}).appConfig.secretsKey).toBeNull();
    const short = 'c2hvcnQta2V5LW9mLXRoaXJ0eS1ieXRlcy1vbmx5IQ==';
    expect(() => loadConfig({ SECRETS_KEY: short })).toThrow(/SECRETS_KEY must be 32 bytes in base64/);
    expect(() => loadConfig({ SECRETS_KEY: short })).not.toThrow(new RegExp(short.slice(0, 10)));
    expect(() => loadConfig({ SECRETS_KEY_PREVIOUS: key })).toThrow(/SECRETS_KEY_PREVIOUS is set without SECRETS_KEY/);
    expect(JSON.stringify(loadConfig({ SECRETS_KEY: key }))).not.toContain(key);
    expect(() => loadConfig({ CONFIG_VALUE_MAX_BYTES: '200000', CONFIG_TOTAL_MAX_BYTES: '100000' })).toThrow(/CONFIG_VALUE_MAX_BYTES \(200000\) is above CONFIG_TOTAL_MAX_BYTES/);
  });

  it('allows no browser origin unless told, and takes only bare origins', () => {
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: 'https://dash.example.com, http://localhost:8080' }).corsOrigins).toEqual(['https://dash.example.com', 'http://localhost:8080']);
    for (const bad of ['*', 'dash.example.com', 'https://dash.example.com/', 'https://dash.example.com/app', 'ftp://x.example']) {
      expect(() => loadConfig({ CORS_ORIGINS: bad }), bad).toThrow(/CORS_ORIGINS must be a comma-separated list of origins/);
    }
  });

  it('reads sizes in gb for releases, within each bound', () => {
    const config = loadConfig({ RELEASE_ARCHIVE_MAX: '2gb', RELEASE_UNPACKED_MAX: '512mb', RELEASES_KEPT_MAX: '10gb' });
    expect(config.releases).toMatchObject({ archiveMaxBytes: 2 * 1024 ** 3, unpackedMaxBytes: 512 * 1024 ** 2, keptMaxBytes: 10 * 1024 ** 3 });
    expect(() => loadConfig({ RELEASE_ARCHIVE_MAX: '100gb' })).toThrow(/RELEASE_ARCHIVE_MAX must be a size from 1kb to 64gb/);
    expect(() => loadConfig({ BODY_LIMIT: '1gb' })).toThrow(/BODY_LIMIT must be a size from 1kb to 64mb/);
  });
});
