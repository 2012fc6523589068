import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../errors.ts';

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
      throw new UserError(`a stored secret cannot be decrypted with ${this.keyFile} (a different or replaced key): set it again`, {}, { cause: error });
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
  constructor(readonly file: string, readonly cipher: SecretCipher = new KeyFileCipher()) {}

  /** The store of the project whose local state folder is `stateDir`. */
  static forProject(stateDir: string, cipher?: SecretCipher): SecretStore {
    return new SecretStore(path.join(stateDir, 'secrets.json'), cipher);
  }

  /** The secret's value, or undefined when none is stored under `name`. */
  async get(name: string): Promise<string | undefined> {
    const sealed = (await this.read()).secrets[name];
    return sealed === undefined ? undefined : this.cipher.decrypt(Buffer.from(sealed, 'base64'));
  }

  /** Stores (or replaces) a secret; the file is rewritten atomically. */
  async set(name: string, value: string): Promise<void> {
    const store = await this.read();
    store.secrets[name] = (await this.cipher.encrypt(value)).toString('base64');
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
