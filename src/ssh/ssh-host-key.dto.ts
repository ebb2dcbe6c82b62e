export class SshHostKeyDto {
  /** ssh-ed25519 */
  algorithm: string;
  /** The public key as in known_hosts: `ssh-ed25519 AAAA...`. */
  public_key: string;
  /** As OpenSSH prints it when it first connects: `SHA256:...`. */
  fingerprint: string;
}
