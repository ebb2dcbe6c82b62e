/** What a store did to bring a volume to the wanted size; `note` says what a person should know. */
export interface EnsuredVolume {
  /** The directory to bind at /srv: the volume's filesystem, mounted. */
  path: string;
  /** Set when the volume could not be given the wanted size (data that would not fit, say). */
  note?: string;
}

/**
 * Apps' /srv volumes with a hard size: writes past it fail with ENOSPC, and `df /srv`
 * shows it. Lives on the Docker engine's host (it mounts filesystems there).
 */
/** Injection token of the VolumeStore the configuration chose (null: DISK_QUOTA=off, plain volumes). */
export const VOLUME_STORE = Symbol('VolumeStore');

export interface VolumeStore {
  /** Resolves when this host can make volumes (permissions, tools, directory); rejects saying what to fix. */
  check(): Promise<void>;
  /**
   * Makes, mounts and sizes volume `name` to `sizeMb` usable; `seedFrom` is a directory
   * whose content is copied in (an old unquota'd volume being moved). A shrink needs the
   * volume unused: call it only while no container has the volume.
   */
  ensure(name: string, sizeMb: number, seedFrom?: string): Promise<EnsuredVolume>;
  /** Names of the volumes mounted now (a host that rebooted has none until they are ensured again). */
  mounted(): Promise<Set<string>>;
  /** Bytes in use on the mounted volume, from the filesystem's own counters (nothing in it is read); null when it is not mounted. */
  usedBytes(name: string): Promise<number | null>;
  /** Unmounts the volume and deletes it with its data; succeeds when there is none. */
  remove(name: string): Promise<void>;
  /** Lets go of what the store holds open (connections), when the process stops. */
  close?(): Promise<void>;
}
