// The libraries a user would pick instead of this one, each set up for Kognic's client-credentials
// flow the way its own documentation recommends, behind one shape: `call(path)` sends an
// authenticated GET. Bench-only code, not part of the package.
//
// - @badgateway/oauth2-client: `OAuth2Fetch` with `getNewToken: () => client.clientCredentials()`.
//   It shares one token request between concurrent callers (single flight); its background
//   refresh needs a refresh token, which the client-credentials grant does not give, so at
//   expiry callers wait for the new token.
// - openid-client 6: `clientCredentialsGrant` and `fetchProtectedResource`, the token reused
//   until `expiresIn()` says it expired. No single flight, no background refresh.
// - simple-oauth2: `ClientCredentials.getToken()`, renewed when `token.expired()`, and the API
//   called with the global fetch. Node only (its HTTP client is Node's `http`); it cannot be
//   given a `fetch`, so it is measured over loopback only.

/** How a peer reaches the server. */
export interface PeerOptions {
  /** The API base URL, also the auth host. */
  base: string;
  clientId: string;
  clientSecret: string;
  /** An in-process transport for the token endpoint and the API; default the network. */
  send?: typeof fetch;
}

/** A peer set up and ready: `call(path)` sends an authenticated GET. */
export type PeerCall = (path: string) => Promise<Response>;

/** What a peer can do, and how to set it up. */
export interface Peer {
  /** The npm package name. */
  name: string;
  /** Whether it takes an in-process transport (a `fetch`). */
  inProcess: boolean;
  /** Whether concurrent callers share one token request. */
  singleFlight: boolean;
  /** Whether it renews a client-credentials token before it expires. */
  backgroundRefresh: boolean;
  /** Whether it runs on this runtime. */
  runsHere(runtime: string): boolean;
  make(options: PeerOptions): Promise<PeerCall>;
}

const TOKEN_PATH = "/v1/auth/oauth/token";
const ACCEPT = { accept: "application/json" };

export const PEERS: Peer[] = [
  {
    name: "@badgateway/oauth2-client",
    inProcess: true,
    singleFlight: true,
    backgroundRefresh: false,
    runsHere: () => true,
    async make({ base, clientId, clientSecret, send }) {
      const { OAuth2Client, OAuth2Fetch } = await import("@badgateway/oauth2-client");
      const client = new OAuth2Client({
        server: base,
        tokenEndpoint: TOKEN_PATH,
        clientId,
        clientSecret,
        fetch: send,
      });
      const wrapper = new OAuth2Fetch({ client, getNewToken: () => client.clientCredentials() });
      if (!send) return (path) => wrapper.fetch(new URL(path, base).href, { headers: ACCEPT });
      // Its fetch() always uses the global fetch; its middleware takes the transport.
      const middleware = wrapper.mw();
      return (path) =>
        middleware(
          new Request(new URL(path, base), { headers: ACCEPT }),
          (request) => send(request),
        );
    },
  },
  {
    name: "openid-client",
    inProcess: true,
    singleFlight: false,
    backgroundRefresh: false,
    runsHere: () => true,
    async make({ base, clientId, clientSecret, send }) {
      const oidc = await import("openid-client");
      const config = new oidc.Configuration(
        { issuer: base, token_endpoint: new URL(TOKEN_PATH, base).href },
        clientId,
        clientSecret,
      );
      if (base.startsWith("http:")) oidc.allowInsecureRequests(config);
      if (send) config[oidc.customFetch] = send as unknown as import("openid-client").CustomFetch;
      let tokens: Awaited<ReturnType<typeof oidc.clientCredentialsGrant>> | undefined;
      return async (path) => {
        if (!tokens || !((tokens.expiresIn() ?? 0) > 0)) {
          tokens = await oidc.clientCredentialsGrant(config);
        }
        return oidc.fetchProtectedResource(
          config,
          tokens.access_token,
          new URL(path, base),
          "GET",
          undefined,
          new Headers(ACCEPT),
        );
      };
    },
  },
  {
    name: "simple-oauth2",
    inProcess: false,
    singleFlight: false,
    backgroundRefresh: false,
    runsHere: (runtime) => runtime === "node",
    async make({ base, clientId, clientSecret }) {
      // No type declarations ship with simple-oauth2; this is the part used here.
      interface AccessToken {
        token: { access_token: string };
        expired(): boolean;
      }
      const { ClientCredentials } = await import("simple-oauth2") as unknown as {
        ClientCredentials: new (options: unknown) => {
          getToken(params: object): Promise<AccessToken>;
        };
      };
      const client = new ClientCredentials({
        client: { id: clientId, secret: clientSecret },
        auth: { tokenHost: base, tokenPath: TOKEN_PATH },
      });
      let token: AccessToken | undefined;
      return async (path) => {
        if (!token || token.expired()) token = await client.getToken({});
        return fetch(new URL(path, base), {
          headers: { ...ACCEPT, authorization: `Bearer ${token.token.access_token}` },
        });
      };
    },
  },
];
