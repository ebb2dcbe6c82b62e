import type Docker from 'dockerode';
import type { DockerEngine } from '../docker/docker-engine.js';
import { isNotFound } from '../docker/docker-errors.js';

/** One end of a copy: a node's engine, and the name of the helper container made there. */
interface End {
  engine: DockerEngine;
  container: string;
}

/**
 * Streams the content of volume `volume` on one engine into the volume of the same name on
 * another: the engines archive it out of a stopped helper container on the source and unpack it
 * into one on the target (owners, modes and times from the archive's headers). Nothing is run
 * in a container and no filesystem is shared: only the two engines' APIs.
 */
export async function copyVolume(source: End, target: End, volume: string, image: string, labels: Record<string, string>): Promise<void> {
  const reader = await helper(source, volume, image, labels, true);
  try {
    const writer = await helper(target, volume, image, labels, false);
    try {
      // `/srv/.` is the directory's content, names relative to it: unpacked into the target's /srv.
      const archive = (await source.engine.streams.getContainer(reader.id).getArchive({ path: '/srv/.' })) as NodeJS.ReadableStream;
      await target.engine.streams.getContainer(writer.id).putArchive(archive as never, { path: '/srv' });
    } finally {
      await writer.remove({ force: true }).catch(() => undefined);
    }
  } finally {
    await reader.remove({ force: true }).catch(() => undefined);
  }
}

/** A container that is never started, only there to hold the volume for the engine's archive calls. */
async function helper(end: End, volume: string, image: string, labels: Record<string, string>, readOnly: boolean): Promise<Docker.Container> {
  const options: Docker.ContainerCreateOptions = {
    name: end.container,
    Image: image,
    Labels: labels,
    HostConfig: { Mounts: [{ Type: 'volume', Source: volume, Target: '/srv', ReadOnly: readOnly }], NetworkMode: 'none' },
  };
  // One left over from a copy that was cut short goes first.
  await end.engine.control
    .getContainer(end.container)
    .remove({ force: true })
    .catch((err) => {
      if (!isNotFound(err)) throw err;
    });
  return end.engine.control.createContainer(options);
}
