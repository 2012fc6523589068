import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../model/errors.ts';

/**
 * Turns secret text into bytes only this user can turn back. The CLI uses a key file; the desktop app plugs in
 * Electron's safeStorage (OS keychain) through the same interface.
 */
export interface SecretCipher {
  encrypt(plain: string): Promise<Buffer>;
  decrypt(sealed: Buffer): Promise<string>;
  /** Whether the key lives in an OS keychain; when false, callers warn the user. */
  readonly isOsKeychain: boolean;
  /** One line for warnings and `connections` output, e.g. `key file ~/.config/pipewright/secret.key`. */
  readonly description: string;
  /**
   * Marks what this cipher seals in the store (`keychain:<base64>`), so a process without it (the CLI reading what
   * the desktop app stored) says so instead of failing to decrypt. Untagged values are the key file's.
   */
  readonly sealTag?: string;
}

let defaultCipher: SecretCipher | undefined;

/** Makes `cipher` the one every SecretStore of this process uses unless given another (the desktop app: the OS keychain). */
export function setDefaultSecretCipher(cipher: SecretCipher | undefined): void {
  defaultCipher = cipher;
}

/** Where the user-level key file lives: `$PIPEWRIGHT_CONFIG_DIR`, else `$XDG_CONFIG_HOME/pipewright`, else `~/.config/pipewright`. */
export function userConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PIPEWRIGHT_CONFIG_DIR) return path.resolve(env.PIPEWRIGHT_CONFIG_DIR);
  return path.join(env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), 'pipewright');
}

/**
 * AES-256-GCM with a random 32-byte key in a file only the user can read (0600 in a 0700 folder). This keeps secrets
 * out of project files and backups of the project, but it is not an OS keychain: anyone who can read the user's files
 * can read the key.
 */
export class KeyFileCipher implements SecretCipher {
  readonly isOsKeychain = false;
  private key: Promise<Buffer> | undefined;

  constructor(readonly keyFile: string = path.join(userConfigDir(), 'secret.key')) {}

  get description(): string {
    return `AES-256-GCM, key file ${this.keyFile} (not an OS keychain)`;
  }

  async encrypt(plain: string): Promise<Buffer> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', await this.loadKey(), iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }

  async decrypt(sealed: Buffer): Promise<string> {
    const decipher = createDecipheriv('aes-256-gcm', await this.loadKey(), sealed.subarray(0, 12));
    decipher.setAuthTag(sealed.subarray(12, 28));
    try {
      return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
    } catch (error) {
      throw new UserError(
        `a stored secret cannot be decrypted with ${this.keyFile} (a different or replaced key): set it again`,
        {},
        { cause: error },
      );
    }
  }

  private loadKey(): Promise<Buffer> {
    this.key ??= (async () => {
      const existing = await readFile(this.keyFile).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      });
      if (existing) return existing;
      const key = randomBytes(32);
      await mkdir(path.dirname(this.keyFile), { recursive: true, mode: 0o700 });
      // 'wx': two processes creating the key at once must not overwrite each other's.
      await writeFile(this.keyFile, key, { mode: 0o600, flag: 'wx' }).catch(async (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
      await chmod(this.keyFile, 0o600);
      return readFile(this.keyFile);
    })();
    return this.key;
  }
}

interface StoreFile {
  version: 1;
  /** Secret name → base64 of iv + tag + ciphertext. */
  secrets: Record<string, string>;
}

/** Named secrets of one project, encrypted at rest in `.pipewright/secrets.json` (git-ignored local state). */
export class SecretStore {
  readonly cipher: SecretCipher;

  /** `cipher` seals new secrets; secrets the key file sealed (the CLI's) stay readable through `keyFile`. */
  constructor(
    readonly file: string,
    cipher?: SecretCipher,
    private readonly keyFile: SecretCipher = new KeyFileCipher(),
  ) {
    this.cipher = cipher ?? defaultCipher ?? keyFile;
  }

  /** The store of the project whose local state folder is `stateDir`. */
  static forProject(stateDir: string, cipher?: SecretCipher): SecretStore {
    return new SecretStore(path.join(stateDir, 'secrets.json'), cipher);
  }

  /** The secret's value, or undefined when none is stored under `name`. */
  async get(name: string): Promise<string | undefined> {
    const stored = (await this.read()).secrets[name];
    if (stored === undefined) return undefined;
    // Base64 has no colon, so `tag:` cannot be the start of an untagged value.
    const tag = /^([a-z_]+):/.exec(stored)?.[1];
    const sealed = Buffer.from(tag === undefined ? stored : stored.slice(tag.length + 1), 'base64');
    if (tag === undefined) return (this.cipher.sealTag === undefined ? this.cipher : this.keyFile).decrypt(sealed);
    if (tag !== this.cipher.sealTag) {
      throw new UserError(
        `secret ${name} is sealed by the desktop app's OS keychain (${tag}), which ${this.cipher.description} cannot open: set it again here (pipewright connections secret set ${name}) or use an { env: … } reference`,
        { path: name },
      );
    }
    return this.cipher.decrypt(sealed);
  }

  /** Stores (or replaces) a secret; the file is rewritten atomically. */
  async set(name: string, value: string): Promise<void> {
    const store = await this.read();
    const sealed = (await this.cipher.encrypt(value)).toString('base64');
    store.secrets[name] = this.cipher.sealTag === undefined ? sealed : `${this.cipher.sealTag}:${sealed}`;
    await this.write(store);
  }

  /** Removes a secret; resolves to whether it existed. */
  async delete(name: string): Promise<boolean> {
    const store = await this.read();
    if (!(name in store.secrets)) return false;
    delete store.secrets[name];
    await this.write(store);
    return true;
  }

  /** Names of the stored secrets (never their values). */
  async names(): Promise<string[]> {
    return Object.keys((await this.read()).secrets).sort();
  }

  private async read(): Promise<StoreFile> {
    const text = await readFile(this.file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (text === undefined) return { version: 1, secrets: {} };
    const parsed = JSON.parse(text) as Partial<StoreFile>;
    return { version: 1, secrets: { ...parsed.secrets } };
  }

  private async write(store: StoreFile): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(store, null, 2)}\n`, { mode: 0o600 });
    await rename(tmp, this.file);
  }
}
