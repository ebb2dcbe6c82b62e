import type Docker from 'dockerode';
import type { VolumeStore } from '../volumes/volume-store.js';
import { isNotFound } from './docker-errors.js';

interface VolumeInfo {
  Mountpoint: string;
  Options?: Record<string, string> | null;
}

/**
 * Apps' /srv as Docker volumes. With a VolumeStore, each is a named volume bound to the
 * store's mounted filesystem (Docker still copies the image's /srv into it when it is
 * new); without one, a plain local volume with no size limit.
 */
export class DockerVolumes {
  constructor(
    private readonly docker: Docker,
    private readonly store: VolumeStore | null,
  ) {}

  /** The volume exists at `diskMb`; a plain volume from before quotas is moved into a quota'd one, data and all. */
  async ensure(name: string, labels: Record<string, string>, diskMb: number): Promise<{ note?: string }> {
    if (!this.store) {
      await this.docker.createVolume({ Name: name, Labels: labels });
      return {};
    }
    const existing = await this.inspect(name);
    const device = existing?.Options?.device;
    // Only a plain volume is moved; one bound elsewhere means VOLUMES_DIR changed under existing apps.
    const legacy = existing !== null && !device;
    const { path, note } = await this.store.ensure(name, diskMb, legacy ? existing.Mountpoint : undefined);
    if (device && device !== path) throw new Error(`volume ${name} is bound to ${device}, not ${path}: was VOLUMES_DIR changed? Move the volumes, or set it back`);
    if (legacy) await this.docker.getVolume(name).remove();
    if (!existing || legacy) {
      await this.docker.createVolume({ Name: name, Driver: 'local', DriverOpts: { type: 'none', o: 'bind', device: path }, Labels: labels });
    }
    return { note };
  }

  /** Removes the Docker volume and, with a store, the filesystem and its data. */
  async remove(name: string): Promise<void> {
    await this.docker
      .getVolume(name)
      .remove()
      .catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
    await this.store?.remove(name);
  }

  /** Tells whether a volume is in place: with a store, mounted (a rebooted host has none until they are ensured again). */
  async readiness(): Promise<(name: string) => boolean> {
    if (!this.store) return () => true;
    const mounted = await this.store.mounted();
    return (name) => mounted.has(name);
  }

  /** Bytes used on the volume, where the store can tell without looking inside it; null otherwise. */
  async usedBytes(name: string): Promise<number | null> {
    return this.store ? this.store.usedBytes(name) : null;
  }

  private async inspect(name: string): Promise<VolumeInfo | null> {
    try {
      return (await this.docker.getVolume(name).inspect()) as VolumeInfo;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }
}
