// For scale in scripts/size.ts: what a program that fetches client-credentials tokens with
// oauth4webapi bundles (the subset issue 3 measures at about 5.0 KB gzipped).
export {
  allowInsecureRequests,
  clientCredentialsGrantRequest,
  ClientSecretPost,
  processClientCredentialsResponse,
} from "oauth4webapi";
