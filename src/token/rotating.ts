// Credentials picked up without a restart, and warned of before they expire. A client whose
// credentials came from a file or a keyring profile (or carry an `expires`) gets, instead of its
// shared token provider, one in front of it that:
//
// - at a token request (never on the hot path, where the token is cached), reports an expiry
//   warning once a day, reads the file again when its version (modification time, size, inode)
//   changed, and reads the source again when the credentials are past `expires`;
// - when the token endpoint refuses the client (`invalid_client`, 401), reads the source again,
//   once per refusal, unless this token request just read it; with other credentials there it
//   makes one new token request with them, otherwise (and when that one is refused too) it fails
//   with CREDENTIALS_REFUSED and asks for no token until a backoff has passed (10 s, doubling up
//   to 5 minutes), a changed file excepted: a revoked secret costs one read and one token request
//   per backoff, not a storm.
//
// Other credentials get the shared provider of their own (./shared.ts keys providers by client
// id and secret, and a provider's store key holds the client id), so the old token is never
// served for them, and a client built later from the rotated source shares it.
//
// Loaded by createClient only (src/http/create_client.ts): the edge entries carry none of it.
//
// One file above 400 lines because it is one concern: the provider in front, the source it reads
// again (a file's version, a keyring profile) and the refusal's backoff share the state of one
// rotation, and the source has no other user.
import type { Credentials } from "../credentials/credentials.ts";
import { KognicAuthError, TokenError } from "../errors.ts";
import { type AccessToken, type Clock, type Renewals, TokenProvider } from "./provider.ts";
import { deadlines, renew } from "./expiry.ts";
import { emit, listen, type ListenerRef, MESSAGE, SUBSCRIBE_WEAKLY } from "./events.ts";
import { STATE, type TokenEvent, type TokenProviderOptions } from "./types.ts";
import type { CredentialsEvent } from "../credentials/expiry.ts";
import {
  expandHome,
  readCredentialsFileAnyName,
  readKeyringCredentials,
} from "../credentials/sources.ts";
import { explainRefusal } from "../credentials/refused.ts";
import type { ResolvedCredentials } from "../credentials/resolve.ts";
import type { Runtime } from "../runtime/mod.ts";
import { lazily, quote } from "../_util.ts";

// The expiry warning's rule and the credentials events' wording load with the first
// credentials that expire or change: most credentials do neither. One import shared by
// concurrent callers; a failed one is tried again.
const expiry = lazily(() => import("../credentials/expiry.ts"));

/** What {@linkcode rotatingProvider} needs. */
export interface RotationOptions {
  /** The credentials resolved. */
  credentials: Credentials;
  /** Where they came from, for warnings and errors. */
  description: string;
  /** The source to read again; absent when it cannot change (then only warnings). */
  source?: CredentialsSource;
  /** The file's version when the credentials were read. */
  version?: string;
  /** The shared provider for other credentials, with the client's other options. */
  connect(credentials: Credentials): TokenProvider;
  /** The client's clock; the system's by default. */
  clock?: Clock;
}

/** Facades by the provider they stand in front of, and by source: clients share them too. */
const facades = new WeakMap<TokenProvider, Map<string, WeakRef<RotatingTokenProvider>>>();

/**
 * The provider a client of these credentials uses: `inner` behind warnings and rotation, shared
 * by every client of the same source and provider.
 *
 * @internal
 */
export function rotatingProvider(inner: TokenProvider, options: RotationOptions): TokenProvider {
  let bySource = facades.get(inner);
  if (!bySource) facades.set(inner, bySource = new Map());
  const live = bySource.get(options.description)?.deref();
  if (live) return live;
  const facade = new RotatingTokenProvider(inner, options);
  bySource.set(options.description, new WeakRef(facade));
  return facade;
}

/**
 * For credentials `createClient` resolved: `inner` (their shared provider) behind warnings and,
 * for a file or a keyring profile, rotation.
 *
 * @internal
 */
export async function watchCredentials(
  resolved: ResolvedCredentials,
  runtime: Runtime,
  inner: TokenProvider,
  options: Pick<RotationOptions, "connect" | "clock">,
): Promise<TokenProvider> {
  const source = credentialsSource(resolved, runtime);
  return rotatingProvider(inner, {
    ...options,
    credentials: resolved.credentials,
    description: resolved.source,
    source,
    // Before the client is returned: a change its program makes after that is a change.
    version: await source?.version(),
  });
}

/** A credentials event with its log line (under MESSAGE, not enumerable), for the loggers. */
async function told(event: CredentialsEvent): Promise<CredentialsEvent> {
  const { credentialsMessage } = await expiry();
  return Object.defineProperty(event, MESSAGE, { value: credentialsMessage(event) });
}

/** Whether the token endpoint refused the client itself. */
function refusal(error: unknown): error is TokenError {
  return error instanceof TokenError &&
    (error.oauthError === "invalid_client" || error.status === 401);
}

function never(): Promise<Response> {
  return Promise.reject(new Error("Not used"));
}

class RotatingTokenProvider extends TokenProvider {
  readonly #options: RotationOptions;
  #inner: TokenProvider;
  #credentials: Credentials;
  #version?: string;
  /** Until when the token held needs no check (its refresh time, the next day's start). */
  #quietUntil = -Infinity;
  #checking?: Promise<void>;
  /** How many times the source was read again. */
  #reads = 0;
  /** The UTC day of the last expiry warning. */
  #warnedDay = NaN;
  /** The refusal the source could not mend. */
  #blocked?: TokenError;
  /**
   * Until when no token is asked for after it, and the pause: the limit on renewals after 401s
   * (./expiry.ts), 10 s doubling up to 5 minutes.
   */
  #calm: Renewals = [-Infinity, 0];
  /** One outcome per refusal: every waiter of a refused token request shares it. */
  readonly #outcomes = new WeakMap<object, Promise<void>>();
  readonly #listeners = new Set<ListenerRef>();
  readonly #clock?: Clock;
  /** The lifetime of the last token obtained (ms), for when the provider will refresh it. */
  #life?: number;
  readonly #forward = (event: TokenEvent) => {
    if (event.type === "token" && event.expiresIn !== undefined) {
      this.#life = event.expiresIn * 1000;
    }
    emit(this.#listeners, event);
  };
  #unsubscribe: () => void;

  constructor(inner: TokenProvider, options: RotationOptions) {
    // The base holds no token: every method below goes to `inner`. Its fields are inner's.
    super({
      credentials: options.credentials,
      authHost: inner.tokenUrl.href,
      tokenPath: "",
      scopes: inner.scopes,
      allowInsecureHttp: true,
      fetch: never,
    });
    this.#adopt(inner);
    this.#options = options;
    this.#clock = options.clock;
    this.#inner = inner;
    this.#credentials = options.credentials;
    this.#version = options.version;
    this.#unsubscribe = inner[SUBSCRIBE_WEAKLY](new WeakRef(this.#forward));
  }

  /** Takes the public fields of `inner`. */
  #adopt(inner: TokenProvider): void {
    const self = this as { authHost: string; scopes: readonly string[] };
    self.authHost = inner.authHost;
    self.scopes = inner.scopes;
  }

  // The hot path: a cached token before its refresh time, one look at the clock in front of
  // the shared provider's.
  override getToken(options?: { signal?: AbortSignal }): Promise<string> {
    const clock = this.#clock;
    return (clock ? clock.now() : Date.now()) < this.#quietUntil
      ? this.#inner.getToken(options)
      : this.#due(options).then((access) => access.token);
  }

  override getAccessToken(options?: { signal?: AbortSignal }): Promise<AccessToken> {
    return this.#now() < this.#quietUntil
      ? this.#inner.getAccessToken(options)
      : this.#due(options);
  }

  #now(): number {
    return this.#clock ? this.#clock.now() : Date.now();
  }

  override invalidate(accessToken: string): boolean {
    // The next token is a token request: checked first.
    this.#quietUntil = -Infinity;
    return this.#inner.invalidate(accessToken);
  }

  override cacheKey(): Promise<string> {
    return this.#inner.cacheKey();
  }

  override [SUBSCRIBE_WEAKLY](ref: ListenerRef): () => void {
    return listen(this.#listeners, ref);
  }

  /** The token `inner` holds, and its options with the credentials in use now. @internal */
  override [STATE](): [{ details: AccessToken } | undefined, TokenProviderOptions] {
    const [held, options] = this.#inner[STATE]();
    return [held, { ...options, credentials: this.#credentials }];
  }

  /** A token request, or a token that may be due for one: checked, then asked for. */
  async #due(options?: { signal?: AbortSignal }): Promise<AccessToken> {
    const reads = this.#reads;
    await (this.#checking ??= this.#check().finally(() => this.#checking = undefined));
    const now = this.#now();
    if (this.#blocked && now < this.#calm[0]) throw this.#refused(this.#blocked);
    const inner = this.#inner;
    let access: AccessToken;
    try {
      access = await inner.getAccessToken(options);
    } catch (error) {
      // A refusal with what to check, as the client would surface it (and as the cause of
      // CREDENTIALS_REFUSED): in the words of the provider that was refused.
      access = await this.#retry(
        await explainRefusal(error, inner),
        inner,
        this.#reads !== reads,
        options,
      );
    }
    // A token again: the next refusal starts the pause over.
    if (this.#calm[1]) this.#calm = [-Infinity, 0];
    const at = access.expiresAt;
    // When the provider starts its refresh, by its own rule (a token obtained before this
    // client subscribed: its lifetime taken as what is left of it).
    const refreshAt = at === undefined ? Infinity : deadlines({
      access_token: "",
      token_type: "Bearer",
      expires_at: at / 1000,
      expires_in: (this.#life ?? at - now) / 1000,
    }, now)[0];
    // Expiring credentials are checked again at least once a day, for the daily warning.
    const expires = this.#credentials.expires;
    if (expires) {
      const { DAY } = await expiry();
      this.#quietUntil = Math.min(refreshAt, (Math.floor(now / DAY) + 1) * DAY);
    } else {
      this.#quietUntil = refreshAt;
    }
    return access;
  }

  /** The expiry warning, and reading the source again when its file changed or they expired. */
  async #check(): Promise<void> {
    const { source, description } = this.#options;
    const now = this.#now();
    if (this.#credentials.expires) {
      const { DAY, expiryWarning } = await expiry();
      const warning = expiryWarning(this.#credentials, description, now, this.#warnedDay);
      if (warning) {
        this.#warnedDay = Math.floor(now / DAY);
        emit(this.#listeners, await told(warning));
      }
    }
    if (!source) return;
    const version = await source.version();
    if (version !== undefined && version !== this.#version) {
      try {
        await this.#read("changed", version);
      } catch {
        // Half written, or being replaced: read again at the next token request.
      }
    } else if (
      this.#credentials.expires && this.#credentials.expires.getTime() <= now &&
      now >= this.#calm[0]
    ) {
      // Let the token request go either way: the server decides, and its refusal explains.
      await this.#read("expired").catch(() => {});
    }
  }

  /** Reads the source; uses what it holds if that differs. Whether it did. */
  async #read(reason: "changed" | "refused" | "expired", version?: string): Promise<boolean> {
    const { source } = this.#options;
    this.#reads++;
    version ??= await source!.version();
    const read = await source!.read();
    this.#version = version;
    const current = this.#credentials;
    this.#credentials = read;
    if (
      read.clientId === current.clientId && read.clientSecret === current.clientSecret &&
      String(read.scopes) === String(current.scopes)
    ) return false;
    const inner = this.#options.connect(read);
    this.#unsubscribe();
    this.#inner = inner;
    this.#unsubscribe = inner[SUBSCRIBE_WEAKLY](new WeakRef(this.#forward));
    this.#adopt(inner);
    let bySource = facades.get(inner);
    if (!bySource) facades.set(inner, bySource = new Map());
    bySource.set(this.#options.description, new WeakRef(this));
    this.#blocked = undefined;
    this.#calm = [-Infinity, 0];
    this.#quietUntil = -Infinity;
    emit(
      this.#listeners,
      await told({
        type: "credentials_rotated",
        source: this.#options.description,
        reason,
        clientId: read.clientId,
      }),
    );
    return true;
  }

  /**
   * After a failed token request: a refusal of the client reads the source again (unless this
   * request just read it), shared by every waiter of the request; with other credentials there,
   * one new token request.
   */
  async #retry(
    error: unknown,
    inner: TokenProvider,
    fresh: boolean,
    options?: { signal?: AbortSignal },
  ): Promise<AccessToken> {
    if (!refusal(error) || !this.#options.source) throw error;
    let outcome = this.#outcomes.get(error);
    if (!outcome) {
      outcome = this.#mend(error, inner, fresh);
      this.#outcomes.set(error, outcome);
    }
    await outcome;
    const retried = this.#inner;
    try {
      return await retried.getAccessToken(options);
    } catch (failed) {
      const again = await explainRefusal(failed, retried);
      if (!refusal(again)) throw again;
      throw this.#block(again);
    }
  }

  /** Resolves when other credentials are in use; otherwise throws CREDENTIALS_REFUSED. */
  async #mend(error: TokenError, inner: TokenProvider, fresh: boolean): Promise<void> {
    // Another refusal's reading already brought other credentials.
    if (inner !== this.#inner) return;
    if (fresh) throw this.#block(error);
    let changed: boolean;
    try {
      changed = await this.#read("refused");
    } catch (failure) {
      this.#block(error);
      throw this.#refused(error, failure);
    }
    if (!changed) throw this.#block(error);
  }

  /** No token request until the backoff has passed; the error that says so. */
  #block(error: TokenError): KognicAuthError {
    // Within the pause already (another waiter's refusal): the pause stays.
    renew(this.#calm, this.#now());
    this.#blocked = error;
    this.#quietUntil = -Infinity;
    return this.#refused(error);
  }

  #refused(error: TokenError, failure?: unknown): KognicAuthError {
    const { description } = this.#options;
    const why = error.oauthError ?? `status ${error.status}`;
    return new KognicAuthError(
      "CREDENTIALS_REFUSED",
      `The token endpoint refused the credentials from ${description} (client id ${
        quote(this.#credentials.clientId)
      }, ${why}): ` +
        (failure === undefined
          ? `${description} was read again and still holds refused credentials`
          : `reading ${description} again failed: ${
            failure instanceof Error ? failure.message : String(failure)
          }`) +
        "; generate new credentials in the Kognic web app and replace them",
      { source: description, cause: error },
    );
  }
}

// Where resolved credentials can be read again: the file (an `auth` path or KOGNIC_CREDENTIALS)
// or the keyring profile they came from. Options, credentials objects and the
// KOGNIC_CLIENT_ID/KOGNIC_CLIENT_SECRET pair cannot change while a program runs: they have none.

/**
 * A source of credentials that can be read again.
 *
 * @internal
 */
export interface CredentialsSource {
  /** Where the credentials come from, such as `credentials file "/home/me/creds.json"`. */
  readonly description: string;
  /**
   * Reads the source again, as resolution read it (the same checks, the same errors).
   *
   * @returns The credentials it holds now.
   */
  read(): Promise<Credentials>;
  /**
   * A file's version (modification time, size and inode, through symbolic links): another
   * value means the file changed. `undefined` where it cannot tell (a keyring profile, a
   * runtime without `stat`, a file that cannot be looked at just now).
   *
   * @returns The version.
   */
  version(): Promise<string | undefined>;
}

/**
 * The source that `resolved` came from, or `undefined` for one that cannot change.
 *
 * @internal
 */
export function credentialsSource(
  resolved: ResolvedCredentials,
  runtime: Runtime,
): CredentialsSource | undefined {
  const { origin, source: description } = resolved;
  if (!origin) return undefined;
  if ("keyring" in origin) {
    const profile = origin.keyring;
    return {
      description,
      async read() {
        const credentials = await readKeyringCredentials(profile, runtime);
        if (credentials) return credentials;
        throw new KognicAuthError(
          "KEYRING_PROFILE_NOT_FOUND",
          `No credentials in the keyring for profile ${quote(profile)} any more: ` +
            `store them with \`kognic-auth credentials put <file> --env ${profile}\``,
          { source: description },
        );
      },
      version: () => Promise.resolve(undefined),
    };
  }
  const path = origin.file;
  return {
    description,
    read: () => readCredentialsFileAnyName(path, runtime, description),
    async version() {
      try {
        const stat = await runtime.stat?.(expandHome(path, runtime));
        return stat && `${stat.mtime}:${stat.size}:${stat.ino}`;
      } catch {
        // Gone for a moment (replaced by a rename): looked at again at the next token request.
        return undefined;
      }
    },
  };
}
