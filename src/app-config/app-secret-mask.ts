import { SecretMask } from '../common/redact/secret-mask.js';
import type { ContainerDriver } from '../containers/container-driver.js';
import type { AppEnvironment } from './app-environment.js';

/**
 * The mask for what an app's programs print (deploy logs, the app's log): its secrets as they are
 * now and, with `driver`, as its container holds them. A secret changed without a restart is
 * still the old value in the container's environment, and a container removed for a change
 * printed the old one. The engine keeps the environment a container was made with, stopped or not.
 */
export async function appSecretMask(environment: AppEnvironment, appId: number, driver?: ContainerDriver): Promise<SecretMask> {
  const secrets = await environment.secrets(appId);
  if (secrets.names.length === 0) return new SecretMask([]);
  const held = driver ? ((await driver.inspect(appId).catch(() => null))?.env ?? {}) : {};
  const old = secrets.names.map((name) => held[name]).filter((value): value is string => value !== undefined);
  return new SecretMask([...secrets.values, ...old]);
}
