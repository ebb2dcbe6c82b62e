// How a deploy reads the one process that prepares its directory and links the running tree
// (prepareAndLink, src/releases/release-tree.ts): which archive /srv/app is comes first, on a line
// of its own, and a failure is told apart by whether that line came. The container is faked here
// (the process's output and exit code); releases-incremental.e2e.test.ts runs it in a real one.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ContainerDriver, ExecSession } from '../src/containers/container-driver.js';
import { prepareAndLink } from '../src/releases/release-tree.js';
import { LINK_RUNNING_TREE, PREPARE_DEPLOY } from '../src/releases/release-steps.js';

interface Run {
  stdout?: string[];
  stderr?: string;
  exit: number | null;
  /** The output stays open after the exit (a connection the engine left half-open). */
  open?: boolean;
}

function driver(run: Run | Error, seen: string[][] = []): ContainerDriver {
  return {
    exec: async (_appId: number, argv: string[]): Promise<ExecSession> => {
      seen.push(argv);
      if (run instanceof Error) throw run;
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      const exit = new Promise<number | null>((resolve) =>
        setImmediate(() => {
          for (const chunk of run.stdout ?? []) stdout.write(chunk);
          if (!run.open) stdout.end();
          stderr.end(run.stderr ?? '');
          setImmediate(() => resolve(run.exit));
        }),
      );
      return { stdin: new PassThrough(), stdout, stderr, exit, resize: async () => undefined, socket: new PassThrough() };
    },
  } as unknown as ContainerDriver;
}

describe('prepareAndLink', () => {
  it('runs the preparing and the linking in one process, the known archive first', async () => {
    const seen: string[][] = [];
    const step = prepareAndLink(driver({ stdout: ['abc12', '3.tar.gz\n'], exit: 0 }, seen), 7);
    expect(await step.known).toBe('abc123.tar.gz');
    expect(await step.linked).toBeNull();
    expect(seen).toHaveLength(1);
    const script = seen[0][2];
    expect(script.indexOf(PREPARE_DEPLOY)).toBeLessThan(script.indexOf(LINK_RUNNING_TREE));
    expect(script.startsWith('set -e;')).toBe(true);
  });

  it('knows no archive when /srv/app is not known to be one', async () => {
    const step = prepareAndLink(driver({ stdout: ['\n'], exit: 0 }), 7);
    expect(await step.known).toBe('');
    expect(await step.linked).toBeNull();
  });

  it('fails the preparing when the process ends before its line, naming what it printed', async () => {
    const step = prepareAndLink(driver({ stderr: "rm: cannot remove '/srv/.berth/deploy/trash': Permission denied\n", exit: 1 }), 7);
    await expect(step.known).rejects.toThrow("preparing the deploy directory failed (exit 1): rm: cannot remove '/srv/.berth/deploy/trash': Permission denied");
    expect(await step.linked).toMatch(/failed \(exit 1\)/);
  });

  it('reports a linking that failed after the preparing, without failing the preparing', async () => {
    const step = prepareAndLink(driver({ stdout: ['\n'], stderr: "cp: cannot open '/srv/app/./locked' for reading: Permission denied\n", exit: 1 }), 7);
    expect(await step.known).toBe('');
    expect(await step.linked).toBe("linking the running tree failed (exit 1): cp: cannot open '/srv/app/./locked' for reading: Permission denied");
  });

  it('takes a marker no archive could have (far too long) as unknown', async () => {
    const step = prepareAndLink(driver({ stdout: ['x'.repeat(300), 'y'.repeat(300), '\n'], exit: 0 }), 7);
    expect(await step.known).toBe('');
    expect(await step.linked).toBeNull();
  });

  it('fails both when the engine cannot run the process, leaving no rejection unhandled', async () => {
    const step = prepareAndLink(driver(new Error('no such container')), 7);
    await expect(step.known).rejects.toThrow('no such container');
    expect(await step.linked).toBe('no such container');
  });

  it('ends with the process even when its output never ends', async () => {
    const step = prepareAndLink(driver({ stderr: 'sh: cannot create /srv/.berth/deploy/incoming.from: Permission denied\n', exit: 2, open: true }), 7);
    await expect(step.known).rejects.toThrow('preparing the deploy directory failed (exit 2): sh: cannot create');
    expect(await step.linked).toMatch(/failed \(exit 2\)/);
  });
});
