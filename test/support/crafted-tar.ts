// Archives crafted byte by byte (Python's tarfile), for the attacks a tar tool would never write.
import { execFileSync } from 'node:child_process';

/**
 * Writes a tar.gz to stdout from a JSON spec on stdin. Entries: files (`data`, or `zeros` bytes),
 * `dir`, `symlink`, `hardlink`, `chr`, `fifo`, each with optional `pax` records and `format`; a
 * bare pax header (`pax`, with `records`, for whatever header follows) or GNU long name
 * (`longname`, with `data` and optionally a declared `size`); `blank` zero blocks; `smuggle`: those
 * entries written as the data of the one that carries them (its size field counts them).
 */
const MAKE_TAR = String.raw`
import gzip, io, json, sys, tarfile
spec = json.load(sys.stdin)
FORMATS = {'pax': tarfile.PAX_FORMAT, 'gnu': tarfile.GNU_FORMAT, 'ustar': tarfile.USTAR_FORMAT}
TYPES = {'file': tarfile.REGTYPE, 'dir': tarfile.DIRTYPE, 'symlink': tarfile.SYMTYPE, 'hardlink': tarfile.LNKTYPE, 'chr': tarfile.CHRTYPE, 'fifo': tarfile.FIFOTYPE}
def pad(n): return bytes(-n % 512)
def header(e, size):
    kind = e.get('type', 'file')
    info = tarfile.TarInfo(e['name'])
    info.type = TYPES[kind]
    info.mode = e.get('mode', 0o755 if kind == 'dir' else 0o644)
    info.linkname = e.get('linkname', '')
    info.mtime = 1700000000
    info.size = size
    info.pax_headers = e.get('pax', {})
    if kind == 'chr': info.devmajor, info.devminor = 1, 3
    return info.tobuf(FORMATS[e.get('format', spec.get('format', 'pax'))], 'utf-8', 'surrogateescape')
def emit(entries, write):
    for e in entries:
        kind = e.get('type', 'file')
        if kind == 'pax':
            write(tarfile.TarInfo._create_pax_generic_header(e['records'], tarfile.XHDTYPE, 'utf-8'))
        elif kind == 'longname':
            name = e['data'].encode() + b'\0'
            info = tarfile.TarInfo('././@LongLink'); info.type = tarfile.GNUTYPE_LONGNAME; info.size = e.get('size', len(name))
            write(info.tobuf(tarfile.GNU_FORMAT, 'utf-8', 'surrogateescape') + name + pad(len(name)))
        elif kind == 'blank':
            write(bytes(512 * e['blocks']))
        elif 'smuggle' in e:
            hidden = io.BytesIO(); emit(e['smuggle'], hidden.write); hidden = hidden.getvalue()
            write(header(e, len(hidden)) + hidden + pad(len(hidden)))
        elif kind == 'file' and 'zeros' in e:
            write(header(e, e['zeros']))
            left = e['zeros']
            while left > 0:
                n = min(left, 1 << 20); write(bytes(n)); left -= n
            write(pad(e['zeros']))
        elif kind == 'file':
            body = e.get('data', '').encode()
            write(header(e, len(body)) + body + pad(len(body)))
        else:
            write(header(e, 0))
out = gzip.GzipFile(fileobj=sys.stdout.buffer, mode='wb', mtime=0)
if spec.get('global'): out.write(tarfile.TarInfo.create_pax_global_header(spec['global']))
emit(spec['entries'], out.write)
out.write(bytes(1024))
out.close()
`;

export interface Entry {
  name?: string;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink' | 'chr' | 'fifo' | 'pax' | 'longname' | 'blank';
  data?: string;
  zeros?: number;
  linkname?: string;
  mode?: number;
  format?: 'pax' | 'gnu' | 'ustar';
  pax?: Record<string, string>;
  records?: Record<string, string>;
  size?: number;
  blocks?: number;
  smuggle?: Entry[];
}

/** A tar.gz crafted by Python's tarfile. */
export function crafted(entries: Entry[], options: { format?: 'pax' | 'gnu' | 'ustar'; global?: Record<string, string> } = {}): Buffer {
  return execFileSync('python3', ['-c', MAKE_TAR], { input: JSON.stringify({ ...options, entries }), maxBuffer: 64 * 1024 * 1024 });
}

