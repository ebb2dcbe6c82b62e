import { hostPort, reachable } from '../common/net.js';

// The deploy's working directory, inside the app's own /srv (the user `app` owns it).
export const DEPLOY_DIR = '/srv/.berth/deploy';
export const INCOMING = `${DEPLOY_DIR}/incoming`;
/** The tree active before the current one, kept for a rollback to it (a swap, no unpacking). */
const PREVIOUS = `${DEPLOY_DIR}/previous`;
/**
 * The tree `previous` held before this deploy, moved aside (one rename) so that removing it is no
 * part of the time to the new release serving: it goes once the release is active.
 */
const TRASH = `${DEPLOY_DIR}/trash`;
/** The archive `previous` holds, when it is known to be exactly that archive's files. */
const PREVIOUS_ARCHIVE = `${DEPLOY_DIR}/previous.archive`;
/** `swapped <version>` once a release's tree is in /srv/app and the old one in `previous`. */
export const STATE = `${DEPLOY_DIR}/state`;
/** The archive /srv/app was made from, written when it became active: its ctime tells whether anything changed since. */
const ACTIVE = `${DEPLOY_DIR}/active`;
/**
 * The archive /srv/app was known to be when the deploy began (empty when unknown): read before
 * anything is removed or linked, as both change the ctimes of files /srv/app may share.
 */
const APP_WAS = `${DEPLOY_DIR}/incoming.from`;

// Swaps two directories in one renameat2(RENAME_EXCHANGE): each path names a whole tree at every
// instant. Filesystems without it (EINVAL, ENOSYS, EOPNOTSUPP) get two renames, a moment apart.
const EXCHANGE = `import ctypes, os, sys
def exchange(a, b):
    if not os.path.lexists(b):
        os.rename(a, b); os.mkdir(a); return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.renameat2(-100, a.encode(), -100, b.encode(), 2) != 0:
        e = ctypes.get_errno()
        if e not in (22, 38, 95): raise OSError(e, os.strerror(e), b)
        os.rename(b, a + ".old"); os.rename(a, b); os.rename(a + ".old", a)`;

// Restarts the app's programs through supervisord's XML-RPC socket: each running (or given up)
// program is stopped, waiting for it, and started again without waiting (the HTTP check that
// follows is the wait). supervisorctl would cost a Python start per call under the plan's CPU,
// and "restart all" waits a further turn of supervisord's one-second loop with the app down. A
// program the tenant stopped stays stopped, and the runtime's log listener (berth-log) runs on.
// Prints what it restarted.
//
// A program that starts while the tree is switched would run the new release twice: started
// before the switch, it may still be reading its files after it (a Python program reads its
// modules as it starts), and started by supervisord after the switch, it runs the new tree
// already. Both happen on a container made a moment before (supervisord is starting its
// programs), and to a program supervisord restarts on its own. So the switch waits for programs
// that are starting to be up first (settle), and the restart leaves alone a program whose process
// began after the switch (`after`, CLOCK_BOOTTIME, the clock of /proc/<pid>/stat's start time).
export const RESTART = `import http.client, os, socket, time, xmlrpc.client
def connect():
    class Unix(http.client.HTTPConnection):
        def connect(self):
            self.sock = socket.socket(socket.AF_UNIX); self.sock.connect("/srv/run/supervisor.sock")
    class Transport(xmlrpc.client.Transport):
        def make_connection(self, host): return Unix("localhost")
    rpc = xmlrpc.client.ServerProxy("http://localhost", transport=Transport()).supervisor
    # A container made a moment ago (or again, by a rollback restoring a config) may still be starting supervisord.
    for attempt in range(150):
        try:
            rpc.getState()
            return rpc
        except (ConnectionRefusedError, FileNotFoundError):
            if attempt == 149: raise
            time.sleep(0.1)
def programs(rpc):
    # The log listener of the runtime is not a program of the app: restarted, it would lose lines.
    return [p for p in rpc.getAllProcessInfo() if p["group"] != "berth-log"]
def settle(rpc):
    for attempt in range(100):
        if not any(p["statename"] == "STARTING" for p in programs(rpc)): return
        time.sleep(0.1)
def began_after(pid, after):
    try: stat = open("/proc/%d/stat" % pid).read()
    except OSError: return False
    # Field 22, counted after the command name (which may hold spaces and parentheses): ticks since boot.
    return int(stat.rsplit(")", 1)[1].split()[19]) / os.sysconf("SC_CLK_TCK") > after
def restart(rpc, after):
    for p in programs(rpc):
        if p["statename"] not in ("RUNNING", "STARTING", "BACKOFF", "FATAL"): continue
        name = p["group"] + ":" + p["name"]
        if after is not None and p["pid"] and began_after(p["pid"], after):
            print("started on the new tree, not restarted: " + name)
            continue
        try: rpc.stopProcess(name, True)
        except xmlrpc.client.Fault as f:
            if f.faultCode != 70: raise
        rpc.startProcess(name, False)
        print("restarted " + name)`;

/** What /srv/app's berth.json says, after a line of its own: the deploy reads its health check from it. */
export const MANIFEST_MARK = '--- berth.json ---';
const PRINT_MANIFEST = `print("${MANIFEST_MARK}")
try: sys.stdout.write(open("/srv/app/berth.json", encoding="utf-8", errors="replace").read(65536))
except FileNotFoundError: pass`;

// One Python start does the whole switch (a start costs a few hundred ms under a small plan's CPU):
// once no program is starting, swap argv[1] and /srv/app, move argv[1] (now the old tree) to
// argv[2], record which archive it is (argv[3], empty when unknown) and the swap (argv[4]), then
// restart what began before the swap and print the manifest.
const SWITCH = `${EXCHANGE}
${RESTART}
tree, keep, known, state = sys.argv[1:5]
rpc = connect()
settle(rpc)
exchange(tree, "/srv/app")
after = time.clock_gettime(time.CLOCK_BOOTTIME)
if keep != tree: os.rename(tree, keep)
open("${PREVIOUS_ARCHIVE}", "w").write(known)
open("${STATE}", "w").write(state + "\\n")
restart(rpc, after)
${PRINT_MANIFEST}`;

// Which archive /srv/app is, if nothing in it changed since it became active (an rsync, say): ctime
// cannot be set by a client, so any write since shows. Empty when unknown.
const KNOWN = `known=; if [ -f ${ACTIVE} ] && [ -z "$(find /srv/app -cnewer ${ACTIVE} -print -quit)" ]; then known=$(cat ${ACTIVE}); fi`;

/** Puts back the tree a swap replaced (the state file says one was made); the other tree goes. */
export const RESTORE = `if [ -f ${STATE} ] && [ -d ${PREVIOUS} ]; then python3 -c '${EXCHANGE}
exchange("${PREVIOUS}", "/srv/app")'; fi; rm -rf ${PREVIOUS} ${PREVIOUS_ARCHIVE} ${STATE} ${TRASH}`;
/**
 * A clean place to unpack into; a swap an unfinished deploy left behind is undone first. The
 * previous tree is moved aside, to go once the new release is active: at most three trees are
 * ever in /srv (the running one, the new one, the one moved aside), sharing unchanged files.
 */
export const PREPARE = `if [ -f ${STATE} ]; then ${RESTORE}; fi; rm -rf ${INCOMING} ${INCOMING}.old ${PREVIOUS_ARCHIVE} ${TRASH}; if [ -d ${PREVIOUS} ]; then mv ${PREVIOUS} ${TRASH}; fi; mkdir -p ${INCOMING}`;

/** What a failed deploy leaves behind, removed: the running tree is untouched. */
export const CLEAN_INCOMING = `rm -rf ${INCOMING} ${APP_WAS} ${TRASH}`;

/** PREPARE, after recording which archive /srv/app is (when known, and no swap is left to undo); prints it. */
export const PREPARE_DEPLOY = `known=; if [ ! -f ${STATE} ]; then ${KNOWN}; fi; ${PREPARE}; printf '%s' "$known" > ${APP_WAS}; printf '%s' "$known"`;

/** `incoming` made of hard links to /srv/app's files: links cost no room in /srv. */
export const LINK_RUNNING_TREE = `cp -al /srv/app/. ${INCOMING}/`;
/**
 * Removes from `incoming` the paths read from stdin (NUL-separated, relative: gone or changed in
 * the new archive), so that what is unpacked next never shares an inode with the running tree.
 */
export const REMOVE_FROM_INCOMING = `cd ${INCOMING} && xargs -0 -r rm -rf --`;

/**
 * The new tree into /srv/app, the old one becoming `previous` (named by its archive when known,
 * as PREPARE_DEPLOY found it); then the restart.
 */
export const switchIn = (version: number) =>
  `known=$(cat ${APP_WAS} 2>/dev/null || true); rm -f ${APP_WAS}; python3 -c '${SWITCH}' ${INCOMING} ${PREVIOUS} "$known" 'swapped ${version}'`;

/**
 * A rollback to the tree kept in `previous`: the two swap places, no unpacking; then the restart.
 * Exits 3 when `previous` is not exactly `archive`'s files (the caller unpacks the archive instead):
 * named otherwise, or a file of it changed since the running release became active (it may share
 * its inode with /srv/app, where an edit in place shows in both).
 */
export const switchBack = (version: number, archive: string) =>
  `[ -d ${PREVIOUS} ] && [ "$(cat ${PREVIOUS_ARCHIVE} 2>/dev/null)" = '${archive}' ] && [ -f ${ACTIVE} ] && [ -z "$(find ${PREVIOUS} -cnewer ${ACTIVE} -print -quit)" ] || exit 3; ${KNOWN}; python3 -c '${SWITCH}' ${PREVIOUS} ${PREVIOUS} "$known" 'swapped ${version}'`;

/**
 * The release answers: it is recorded as what /srv/app holds; the previous tree stays for a rollback.
 * The tree moved aside goes first: removing it changes the ctimes of files it shares with /srv/app.
 */
export const settled = (archive: string) => `rm -rf ${TRASH} && rm -f ${STATE} && printf '%s' '${archive}' > ${ACTIVE}`;

/** Restarts the programs and prints the manifest, for a deploy resumed after its switch. */
export const RESTART_PROGRAMS = `python3 -c '${EXCHANGE}
${RESTART}
restart(connect(), None)
${PRINT_MANIFEST}'`;

export interface Manifest {
  /** Runs in the unpacked tree before the switch; a non-zero exit aborts the deploy. */
  release?: string;
  /** Where the app is asked whether it answers (default `/`). */
  healthPath?: string;
}

/** `/srv/app/berth.json`: `{"release": "<command>", "health_path": "/healthz"}`, both optional; no file is `{}`. */
export function manifestOf(text: string): Manifest | { error: string } {
  if (!text.trim()) return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { error: `berth.json is not valid JSON: ${(err as Error).message}` };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { error: 'berth.json must hold a JSON object' };
  const { release, health_path: healthPath } = json as Record<string, unknown>;
  if (release !== undefined && (typeof release !== 'string' || release.trim() === '')) return { error: 'berth.json: "release" must be a command, a non-empty string' };
  if (healthPath !== undefined && (typeof healthPath !== 'string' || !/^\/[\x21-\x7e]*$/.test(healthPath))) {
    return { error: 'berth.json: "health_path" must be a path starting with /' };
  }
  return { release: release as string | undefined, healthPath: healthPath as string | undefined };
}

/** The first HTTP status below 500 the app answers with on its published port, or null when none came in time. */
export async function answersHttp(address: string, port: number, path: string, timeoutMs: number): Promise<number | null> {
  const url = `http://${hostPort(reachable(address), port)}${path}`;
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const answer = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(Math.min(2000, Math.max(100, until - Date.now()))) });
      await answer.body?.cancel();
      if (answer.status < 500) return answer.status;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return null;
}

/** The last `max` bytes a stream carries, as text. */
export function collectTail(stream: NodeJS.ReadableStream, max = 8192): Promise<string> {
  return new Promise((resolve) => {
    let tail = Buffer.alloc(0);
    stream.on('data', (chunk: Buffer) => {
      tail = Buffer.concat([tail, chunk]);
      if (tail.length > max) tail = tail.subarray(tail.length - max);
    });
    stream.on('end', () => resolve(tail.toString('utf8')));
    stream.on('close', () => resolve(tail.toString('utf8')));
    stream.on('error', () => resolve(tail.toString('utf8')));
  });
}
