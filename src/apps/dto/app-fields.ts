// Rosti's field rules for apps: parsing and normalising host names and SSH keys.
import { ValidationOptions } from 'class-validator';
import { domainToASCII } from 'node:url';
import ssh2, { type ParsedKey } from 'ssh2';
import { problemValidator } from '../../common/validation/problem-validator.js';

const { utils } = ssh2;

// Rosti's client allows upper-case letters, `_` and `.` in names: Berth stores the name as given
// (unique in a company whatever its case) and derives its default domain from appNameLabel.
export const APP_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;
// The default domain is `{label}-{id}.{apps domain}`: keep its first label within DNS's 63.
export const APP_NAME_MAX = 48;

/** An app name as a DNS label: lower case, `_` and `.` (and runs of them) as one dash. `My_Shop.v2` → `my-shop-v2`. */
export function appNameLabel(name: string): string {
  return name.toLowerCase().replace(/[._-]+/g, '-');
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * A host name in the form Berth stores it: lower case, internationalised labels
 * in punycode, a leading `*.` for a wildcard. Null when it is not a host name.
 */
export function normalizeDomain(raw: string): string | null {
  let name = raw.trim().toLowerCase().replace(/\.$/, '');
  const wildcard = name.startsWith('*.');
  if (wildcard) name = name.slice(2);
  if (name.includes('*') || /^[\d.]+$/.test(name) || name.includes(':')) return null;
  const ascii = domainToASCII(name);
  if (!ascii || ascii.length > 253) return null;
  const labels = ascii.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return null;
  return wildcard ? `*.${ascii}` : ascii;
}

/** Rosti accepts domains as an array or as one string of names separated by spaces. */
export function splitDomains({ value }: { value: unknown }): unknown {
  const list = typeof value === 'string' ? value.split(/[\s,]+/).filter(Boolean) : value;
  if (!Array.isArray(list)) return list;
  return list.map((d) => (typeof d === 'string' ? (normalizeDomain(d) ?? d) : d));
}

export const DOMAINS_MAX = 50;

function domainListProblem(value: unknown): string | null {
  if (!Array.isArray(value)) return 'must be an array of host names or one string of names separated by spaces';
  if (value.length > DOMAINS_MAX) return `must hold at most ${DOMAINS_MAX} names`;
  for (const name of value) {
    if (typeof name !== 'string' || normalizeDomain(name) !== name) {
      return `"${String(name).slice(0, 100)}" is not a host name (like shop.example.com, or *.example.com for a wildcard)`;
    }
  }
  const duplicate = value.find((name, i) => value.indexOf(name) !== i);
  return duplicate ? `"${duplicate}" is listed twice` : null;
}

/** An array of host names as splitDomains leaves it: every one valid and normalised, none twice. */
export function IsDomainList(options?: ValidationOptions): PropertyDecorator {
  return problemValidator('isDomainList', domainListProblem, 'is not acceptable', options);
}


const KEY_TYPES = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa'];
const RSA_MIN_BITS = 2048;

/** Bits of an RSA public key's modulus, from its SSH wire form (string type, mpint e, mpint n). */
function rsaBits(blob: Buffer): number {
  let offset = 0;
  const next = () => {
    const length = blob.readUInt32BE(offset);
    const value = blob.subarray(offset + 4, offset + 4 + length);
    offset += 4 + length;
    return value;
  };
  next();
  next();
  const n = next();
  const significant = n[0] === 0 ? n.subarray(1) : n;
  return significant.length * 8 - Math.clz32(significant[0] ?? 0) + 24;
}

/** The first key ssh2 finds in `line`, or null when there is none. */
export function parseKeyLine(line: string): ParsedKey | null {
  const parsed = utils.parseKey(line);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  return !key || key instanceof Error ? null : key;
}

/** The parsed key, normalised to `type base64 comment`; or the reason it is refused. */
export function parseSshPublicKey(raw: unknown): { key: string } | { problem: string } {
  if (typeof raw !== 'string' || raw.length > 16_384) return { problem: 'is not an OpenSSH public key line' };
  const line = raw.trim();
  if (/PRIVATE KEY/.test(line)) return { problem: 'is a private key: send the public key (the .pub file) and keep the private one to yourself' };
  const key = parseKeyLine(line);
  if (!key || key.isPrivateKey()) return { problem: 'is not an OpenSSH public key (like "ssh-ed25519 AAAA... me@laptop")' };
  if (!KEY_TYPES.includes(key.type)) return { problem: `has type ${key.type}, which is not accepted; use ${KEY_TYPES.slice(0, 4).join(', ')} or ssh-rsa` };
  const blob = key.getPublicSSH();
  if (key.type === 'ssh-rsa' && rsaBits(blob) < RSA_MIN_BITS) return { problem: `is an RSA key shorter than ${RSA_MIN_BITS} bits` };
  const comment = key.comment.replace(/[\r\n]/g, ' ').trim();
  return { key: `${key.type} ${blob.toString('base64')}${comment ? ` ${comment}` : ''}` };
}

/** Normalises every valid key; leaves invalid entries for the validator to name. */
export function normalizeSshKeys({ value }: { value: unknown }): unknown {
  if (typeof value === 'string') value = value.split(/\r?\n/).filter((l) => l.trim());
  if (!Array.isArray(value)) return value;
  return value.map((k) => {
    const parsed = parseSshPublicKey(k);
    return 'key' in parsed ? parsed.key : k;
  });
}

export const SSH_KEYS_MAX = 100;

function sshKeyListProblem(value: unknown): string | null {
  if (!Array.isArray(value)) return 'must be an array of OpenSSH public keys';
  if (value.length > SSH_KEYS_MAX) return `must hold at most ${SSH_KEYS_MAX} keys`;
  for (const [i, key] of value.entries()) {
    const parsed = parseSshPublicKey(key);
    if ('problem' in parsed) return `key ${i + 1} ${parsed.problem}`;
  }
  return null;
}

/** An array of OpenSSH public keys, every one parsed and of an accepted type. */
export function IsSshKeyList(options?: ValidationOptions): PropertyDecorator {
  return problemValidator('isSshKeyList', sshKeyListProblem, 'is not acceptable', options);
}
