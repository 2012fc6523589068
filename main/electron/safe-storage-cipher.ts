import { KeyFileCipher, type SecretCipher } from '../connections/secret-store.ts';
import type { SafeStorageLike } from './electron-types.ts';

/** Seals secrets with Electron's safeStorage: the macOS Keychain, Windows DPAPI, or the Linux secret service. */
export class SafeStorageCipher implements SecretCipher {
  readonly isOsKeychain = true;
  readonly sealTag = 'keychain';

  constructor(
    private readonly safeStorage: SafeStorageLike,
    private readonly backend: string | undefined,
  ) {}

  get description(): string {
    return `the OS keychain (Electron safeStorage${this.backend ? `, ${this.backend}` : ''})`;
  }

  async encrypt(plain: string): Promise<Buffer> {
    return this.safeStorage.encryptString(plain);
  }

  async decrypt(sealed: Buffer): Promise<string> {
    return this.safeStorage.decryptString(sealed);
  }
}

export interface CipherChoice {
  cipher: SecretCipher;
  /** Set when the OS offers no secure store, so secrets fall back to the key file: tell the user. */
  warning?: string;
}

/**
 * The desktop app's secret cipher: the OS keychain through safeStorage when it is there and really secure; else
 * the CLI's key-file cipher with a warning. Linux's `basic_text` backend "encrypts" with a hard-coded password, so
 * it counts as no secure store. Call after the app is ready (safeStorage answers only then on Linux).
 */
export function chooseSecretCipher(
  safeStorage: SafeStorageLike | undefined,
  platform: NodeJS.Platform,
  fallback: SecretCipher = new KeyFileCipher(),
): CipherChoice {
  const noStore = (why: string): CipherChoice => ({
    cipher: fallback,
    warning: `${why}: connection secrets are kept with ${fallback.description}; anyone who can read your files can read them`,
  });
  if (!safeStorage?.isEncryptionAvailable())
    return noStore('this system offers no secure store for secrets (Electron safeStorage is unavailable)');
  const backend = platform === 'linux' ? safeStorage.getSelectedStorageBackend?.() : undefined;
  if (backend === 'basic_text')
    return noStore('no keyring was found (no GNOME Keyring, KWallet or other secret service: safeStorage would use basic_text)');
  return { cipher: new SafeStorageCipher(safeStorage, backend) };
}
